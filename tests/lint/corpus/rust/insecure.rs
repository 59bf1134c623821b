use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::SmtpTransport;

fn transport() -> SmtpTransport {
    let tls = TlsParameters::builder("smtp.example.org".into())
        .dangerous_accept_invalid_certs(true) // expect: lint.rust.accept_invalid_certs
        .dangerous_accept_invalid_hostnames(true) // expect: lint.rust.accept_invalid_hostnames
        .build()
        .unwrap();
    SmtpTransport::relay("smtp.example.org").unwrap().tls(Tls::Required(tls)).build()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().danger_accept_invalid_certs(true).build().unwrap() // expect: lint.rust.accept_invalid_certs
}

macro_rules! p {
    ($e:expr) => {
        match $e {
            Ok(r) => r,
            Err(e) => panic!("{:?}", e),
        }
    };
}

fn in_macros() {
    let builder = p!(TlsConnector::builder()
        .danger_accept_invalid_hostnames(true) // expect: lint.rust.accept_invalid_hostnames
        .build());
    let nested = p!(t!(TlsConnector::builder().danger_accept_invalid_certs(true).build())); // expect: lint.rust.accept_invalid_certs
    let list = vec![TlsConnector::builder().danger_accept_invalid_certs(true)]; // expect: lint.rust.accept_invalid_certs
}
