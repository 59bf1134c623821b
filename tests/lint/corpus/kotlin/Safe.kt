package corpus

import java.util.Properties

// props["mail.smtp.ssl.trust"] = "*" would trust everyone: do not.
const val HINT = "HostnameVerifier { _, _ -> true } is forbidden"

fun configure(props: Properties) {
    props["mail.smtp.ssl.trust"] = "smtp.example.org"
    props["mail.smtp.ssl.checkserveridentity"] = "true"
    props.put("mail.smtp.starttls.required", "true")
}
