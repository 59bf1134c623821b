using System;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using MailKit.Net.Imap;
using MailKit.Security;
using Xunit;

class CallbacksSafe
{
    const string Pin = "3F1A...";

    static bool Strict(object s, X509Certificate c, X509Chain ch, SslPolicyErrors errors)
    {
        if (errors != SslPolicyErrors.None)
        {
            Console.WriteLine($"rejected: {errors}");
            return false;
        }
        return true;
    }

    static bool Pinned(object s, X509Certificate c, X509Chain ch, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
            return true;
        return c.GetCertHashString() == Pin;
    }

    string Describe(SecureSocketOptions options)
    {
        switch (options)
        {
            case SecureSocketOptions.StartTlsWhenAvailable:
                return "opportunistic";
            default:
                return options == SecureSocketOptions.StartTlsWhenAvailable ? "?" : "required";
        }
    }

    void Connect(System.IO.Stream stream)
    {
        using var client = new ImapClient();
        client.ServerCertificateValidationCallback = Strict;
        client.ServerCertificateValidationCallback = Pinned;
        var ssl = new SslStream(stream, false, Strict);
        Assert.Equal(SecureSocketOptions.StartTlsWhenAvailable, Parse("opportunistic"));
    }

    static SecureSocketOptions Parse(string s) => SecureSocketOptions.StartTls;
}
