# Do not use: [Net.ServicePointManager]::ServerCertificateValidationCallback = { $true }
<#
  -SkipCertificateCheck would accept any certificate;
  ServerCertificateValidationCallback = { $true } too.
#>
Invoke-RestMethod -Uri https://api.example.org/report -SkipCertificateCheck:$false
Write-Host "never pass -SkipCertificateCheck"
Send-MailMessage -SmtpServer smtp.example.org -Port 587 -UseSsl -To ops@example.org -From r@example.org -Subject Report
