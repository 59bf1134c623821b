package corpus;

import java.security.KeyStore;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Properties;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.apache.commons.mail.SimpleEmail;

/**
 * Safe: never p.put("mail.smtp.ssl.trust", "*") and never setTrustAllHosts(true);
 * a HostnameVerifier returning true is forbidden here.
 */
public class SafeMail {
    static final String DOC = "mail.smtp.ssl.trust=* disables verification";

    static class Pinned implements X509TrustManager {
        private final X509TrustManager delegate;

        Pinned(X509TrustManager delegate) { this.delegate = delegate; }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkServerTrusted(chain, authType);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            throw new CertificateException("client certificates are not accepted");
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() { return delegate.getAcceptedIssuers(); }
    }

    Properties props(KeyStore corp) throws Exception {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(corp);
        Properties p = new Properties();
        p.put("mail.smtp.ssl.checkserveridentity", "true");
        p.put("mail.smtp.starttls.required", "true");
        // p.put("mail.smtp.ssl.trust", "*");
        boolean ok = "*".equals(p.getProperty("mail.smtp.ssl.trust"));
        return p;
    }

    void send() throws Exception {
        SimpleEmail email = new SimpleEmail();
        email.setSSLOnConnect(true);
        email.setSSLCheckServerIdentity(true);
        email.send();
    }
}
