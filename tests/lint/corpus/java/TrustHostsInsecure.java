import java.util.Properties;

class TrustHostsInsecure {
    static final String PREFIX = "mail.imap";

    Properties props(String protocol) {
        Properties p = new Properties();
        // a host list: JavaMail's MailSSLSocketFactory then accepts ANY certificate from it
        p.setProperty("mail.imap.ssl.trust", "localhost");  // expect: lint.java.mail_ssl_trust_hosts
        p.put(PREFIX + ".ssl.trust", "mail.example.org backup.example.org");  // expect: lint.java.mail_ssl_trust_hosts
        return p;
    }

    boolean identityCheck(Properties props, String prefix) {
        // the library reads the switch with false as its default: off unless the user sets it
        return PropUtil.getBooleanProperty(props, prefix + ".ssl.checkserveridentity", false);  // expect: lint.java.mail_identity_default_off
    }
}
