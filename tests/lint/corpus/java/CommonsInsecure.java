package corpus;

import org.apache.commons.mail.SimpleEmail;

class CommonsInsecure {
    void send() throws Exception {
        SimpleEmail email = new SimpleEmail();
        email.setHostName("smtp.example.org");
        email.setSSLOnConnect(true);  // expect: lint.java.commons_email_no_identity_check
        email.send();
    }

    void sendStartTls() throws Exception {
        SimpleEmail email = new SimpleEmail();
        email.setStartTLSRequired(true);  // expect: lint.java.commons_email_no_identity_check
        email.setSSLCheckServerIdentity(false);  // expect: lint.java.commons_email_no_identity_check
        email.send();
    }
}
