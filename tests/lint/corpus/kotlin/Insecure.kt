package corpus

import java.security.cert.X509Certificate
import java.util.Properties
import javax.net.ssl.HostnameVerifier
import javax.net.ssl.HttpsURLConnection
import javax.net.ssl.X509TrustManager

val trustAll = object : X509TrustManager {
    override fun checkServerTrusted(chain: Array<X509Certificate>, authType: String) {}  // expect: lint.java.trust_all_manager
    override fun checkClientTrusted(chain: Array<X509Certificate>, authType: String) {}
    override fun getAcceptedIssuers(): Array<X509Certificate> = arrayOf()
}

fun configure(props: Properties) {
    props["mail.smtp.ssl.trust"] = "*"  // expect: lint.java.mail_ssl_trust_all
    props.put("mail.smtps.ssl.checkserveridentity", "false")  // expect: lint.java.mail_no_identity_check
    HttpsURLConnection.setDefaultHostnameVerifier { _, _ -> true }  // expect: lint.java.hostname_verifier_true
    val verifier = HostnameVerifier { _, _ -> true }  // expect: lint.java.hostname_verifier_true
}
