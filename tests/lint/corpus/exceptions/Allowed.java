class Allowed {
    void f(java.util.Properties p) {
        /* mailtls: allow lint.java.mail_ssl_trust_all until 2026-09-30 -- staging relay, ticket 42 */
        p.put("mail.smtp.ssl.trust", "*");
        p.put("mail.imap.ssl.trust", "*"); // mailtls: allow lint.java.mail_ssl_trust_all until 2026-07-01  expect: lint.bad_exception, lint.java.mail_ssl_trust_all
    }
}
