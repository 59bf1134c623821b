using MailKit.Net.Smtp;
using MailKit.Security;

// client.ServerCertificateValidationCallback = (s, c, h, e) => true;  -- forbidden
class Safe
{
    const string Doc = "SecureSocketOptions.StartTlsWhenAvailable allows a downgrade";

    void Send()
    {
        using var client = new SmtpClient();
        client.CheckCertificateRevocation = true;
        client.ServerCertificateValidationCallback = (s, c, h, e) => e == System.Net.Security.SslPolicyErrors.None;
        client.Connect("smtp.example.org", 587, SecureSocketOptions.StartTls);
    }
}
