import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Properties;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.net.imap.IMAPSClient;
import org.apache.commons.net.util.TrustManagerUtils;
import org.simplejavamail.mailer.MailerBuilder;

class ApisInsecure {
    private static final String PREFIX = "mail.";
    private static final boolean STRICT = Boolean.getBoolean("strict.tls");

    Properties props(String protocol) {
        Properties props = new Properties();
        props.put("mail." + protocol + ".ssl.trust", "*"); // expect: lint.java.mail_ssl_trust_all
        props.setProperty(PREFIX + protocol + ".ssl.checkserveridentity", "false"); // expect: lint.java.mail_no_identity_check
        String key = String.format("mail.%s.ssl.trust", protocol);
        props.put(key, "*"); // expect: lint.java.mail_ssl_trust_all
        String off = "false";
        props.put("mail.smtps.ssl.checkserveridentity", off); // expect: lint.java.mail_no_identity_check
        return props;
    }

    void simpleJavaMail() {
        MailerBuilder.withSMTPServer("smtp.example.org", 587)
            .trustingAllHosts(true) // expect: lint.java.simplejavamail_trust_all
            .verifyingServerIdentity(false) // expect: lint.java.simplejavamail_no_identity_check
            .buildMailer();
        MailerBuilder.withSMTPServer("smtp.example.org", 587).trustingSSLHosts("*").buildMailer(); // expect: lint.java.simplejavamail_trust_all
    }

    void commonsNet() throws Exception {
        IMAPSClient imap = new IMAPSClient(true); // expect: lint.java.commons_net_no_endpoint_check
        imap.setTrustManager(TrustManagerUtils.getAcceptAllTrustManager()); // expect: lint.java.commons_net_accept_all
        imap.connect("imap.example.org");
    }

    static class FlagGuarded implements X509TrustManager {
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException { // expect: lint.java.trust_all_manager
            if (STRICT) {
                throw new CertificateException("untrusted");
            }
        }
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no client certificates");
        }
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    static class SubjectOnly implements X509TrustManager {
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException { // expect: lint.java.trust_all_manager
            if (!chain[0].getSubjectX500Principal().getName().contains("localhost")) {
                throw new CertificateException("not localhost");
            }
        }
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no client certificates");
        }
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    static class Swallows implements X509TrustManager {
        private final X509TrustManager inner;
        Swallows(X509TrustManager inner) { this.inner = inner; }
        public void checkServerTrusted(X509Certificate[] chain, String authType) { // expect: lint.java.trust_all_manager
            try {
                inner.checkServerTrusted(chain, authType);
            } catch (CertificateException e) {
                System.err.println("ignoring " + e);
            }
        }
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("no client certificates");
        }
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    static class LogsAndAccepts implements HostnameVerifier {
        public boolean verify(String hostname, SSLSession session) { // expect: lint.java.hostname_verifier_true
            System.out.println("connecting to " + hostname);
            return true;
        }
    }
}
