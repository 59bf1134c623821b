# Sends the nightly report (labelled corpus)
[Net.ServicePointManager]::ServerCertificateValidationCallback = { $true } # expect: lint.powershell.cert_callback_true
[System.Net.ServicePointManager]::ServerCertificateValidationCallback = {param($s, $c, $ch, $e) return $true} # expect: lint.powershell.cert_callback_true
Invoke-RestMethod -Uri https://api.example.org/report -SkipCertificateCheck # expect: lint.powershell.skip_certificate_check
Add-Type @"
using System.Net;
using System.Security.Cryptography.X509Certificates;
public class TrustAllCertsPolicy : ICertificatePolicy {
    public bool CheckValidationResult(ServicePoint sp, X509Certificate cert, WebRequest req, int problem) { return true; }
}
"@
[System.Net.ServicePointManager]::CertificatePolicy = New-Object TrustAllCertsPolicy # expect: lint.powershell.cert_callback_true
Send-MailMessage -SmtpServer smtp.example.org -Port 587 -UseSsl -To ops@example.org -From r@example.org -Subject Report
