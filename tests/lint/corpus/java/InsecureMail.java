package corpus;

import java.security.cert.X509Certificate;
import java.util.Properties;
import javax.net.ssl.HostnameVerifier;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSession;
import javax.net.ssl.X509TrustManager;
import com.sun.mail.util.MailSSLSocketFactory;
import org.apache.http.conn.ssl.NoopHostnameVerifier;

/** The article's "temporary" trust-all code, and its relatives. */
public class InsecureMail {

    static class TrustAll implements X509TrustManager {
        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {  // expect: lint.java.trust_all_manager
            // TODO: temporary, for the test server
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }

    Properties props() throws Exception {
        Properties p = new Properties();
        p.put("mail.smtp.ssl.trust", "*");  // expect: lint.java.mail_ssl_trust_all
        p.setProperty("mail.imaps.ssl.trust", "*");  // expect: lint.java.mail_ssl_trust_all
        p.put("mail.smtp.ssl.checkserveridentity", "false");  // expect: lint.java.mail_no_identity_check
        p.put("mail.imap.ssl.checkserveridentity", Boolean.FALSE);  // expect: lint.java.mail_no_identity_check
        MailSSLSocketFactory sf = new MailSSLSocketFactory();
        sf.setTrustAllHosts(true);  // expect: lint.java.mail_trust_all_hosts
        p.put("mail.smtp.ssl.socketFactory", sf);
        return p;
    }

    void verifiers() {
        HttpsURLConnection.setDefaultHostnameVerifier((host, session) -> true);  // expect: lint.java.hostname_verifier_true
        HostnameVerifier any = (h, s) -> { return true; };  // expect: lint.java.hostname_verifier_true
        HttpsURLConnection.setDefaultHostnameVerifier(new HostnameVerifier() {
            public boolean verify(String hostname, SSLSession session) {  // expect: lint.java.hostname_verifier_true
                return true;
            }
        });
        Object noop = NoopHostnameVerifier.INSTANCE;  // expect: lint.java.hostname_verifier_true
    }
}
