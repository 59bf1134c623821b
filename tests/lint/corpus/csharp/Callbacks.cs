using System;
using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Imap;
using MailKit.Security;

class Callbacks
{
    static bool Lenient(object s, X509Certificate c, X509Chain ch, SslPolicyErrors errors)
    {
        Console.WriteLine($"certificate errors: {errors}");
        return true;
    }

    static bool LocalhostOk(object s, X509Certificate c, X509Chain ch, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        if (c.Subject.Contains("localhost"))
            return true;
        return false;
    }

    void Connect(RemoteCertificateValidationCallback callback, System.IO.Stream stream)
    {
        using var client = new ImapClient();
        client.ServerCertificateValidationCallback = (s, c, h, errors) => errors == SslPolicyErrors.RemoteCertificateNameMismatch || errors == SslPolicyErrors.None; // expect: lint.csharp.cert_callback_true
        client.ServerCertificateValidationCallback = callback ?? ((s, c, h, e) => true); // expect: lint.csharp.cert_callback_true
        ServicePointManager.ServerCertificateValidationCallback = Lenient; // expect: lint.csharp.cert_callback_true
        client.ServerCertificateValidationCallback = new RemoteCertificateValidationCallback(LocalhostOk); // expect: lint.csharp.cert_callback_true
        var ssl = new SslStream(stream, false, Lenient); // expect: lint.csharp.cert_callback_true
        client.ServerCertificateValidationCallback = (s, c, h, errors) => // expect: lint.csharp.cert_callback_true
        {
            if ((errors & ~SslPolicyErrors.RemoteCertificateNameMismatch) == SslPolicyErrors.None)
                return true;
            return false;
        };
        var options = SecureSocketOptions.StartTlsWhenAvailable; // expect: lint.csharp.starttls_when_available
    }
}
