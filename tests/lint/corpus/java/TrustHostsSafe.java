import java.util.Properties;

class TrustHostsSafe {
    Properties props(String trusted) {
        Properties p = new Properties();
        p.setProperty("mail.imap.ssl.trust", trusted);  // not a constant: unknown
        p.setProperty("mail.imap.ssl.trust", "");
        p.setProperty("mail.imap.ssl.checkserveridentity", "true");
        return p;
    }

    boolean identityCheck(Properties props, String prefix) {
        return PropUtil.getBooleanProperty(props, prefix + ".ssl.checkserveridentity", true);
    }

    String note(Properties props, String prefix) {
        return props.getProperty(prefix + ".ssl.trust", "localhost");
    }
}
