using System.Net;
using MailKit.Net.Smtp;
using MailKit.Security;

class Insecure
{
    static bool AcceptAll(object s, object c, object ch, object e) => true;

    void Send()
    {
        using var client = new SmtpClient();
        client.ServerCertificateValidationCallback = (s, c, h, e) => true; // expect: lint.csharp.cert_callback_true
        client.CheckCertificateRevocation = false; // expect: lint.csharp.no_revocation_check
        client.Connect("smtp.example.org", 587, SecureSocketOptions.StartTlsWhenAvailable); // expect: lint.csharp.starttls_when_available
        ServicePointManager.ServerCertificateValidationCallback += delegate { return true; }; // expect: lint.csharp.cert_callback_true
        ServicePointManager.ServerCertificateValidationCallback = AcceptAll; // expect: lint.csharp.cert_callback_true
    }
}
