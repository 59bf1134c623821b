import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Properties;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.net.smtp.SMTPSClient;
import org.simplejavamail.mailer.MailerBuilder;

// props.put("mail." + protocol + ".ssl.trust", "*") would trust every host: not here.
class ApisSafe {
    private static final String PREFIX = "mail.";

    Properties props(String protocol, String host) {
        Properties props = new Properties();
        props.put("mail." + protocol + ".ssl.trust", host);
        props.setProperty(PREFIX + protocol + ".ssl.checkserveridentity", "true");
        if ("*".equals(props.get("mail." + protocol + ".ssl.trust"))) {
            throw new IllegalStateException("mail.*.ssl.trust = * is not allowed");
        }
        return props;
    }

    void simpleJavaMail() {
        MailerBuilder.withSMTPServer("smtp.example.org", 587)
            .trustingAllHosts(false)
            .verifyingServerIdentity(true)
            .trustingSSLHosts("smtp.example.org")
            .buildMailer();
    }

    void commonsNet() throws Exception {
        SMTPSClient smtp = new SMTPSClient(true);
        smtp.setEndpointCheckingEnabled(true);
        smtp.connect("smtp.example.org", 465);
    }

    static class Pinned implements X509TrustManager {
        private final X509TrustManager inner;
        Pinned(X509TrustManager inner) { this.inner = inner; }
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            if (chain == null || chain.length == 0) {
                throw new CertificateException("empty chain");
            }
            inner.checkServerTrusted(chain, authType);
        }
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            inner.checkClientTrusted(chain, authType);
        }
        public X509Certificate[] getAcceptedIssuers() { return inner.getAcceptedIssuers(); }
    }
}
