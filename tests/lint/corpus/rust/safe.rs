use lettre::transport::smtp::client::{Certificate, TlsParameters};

// .dangerous_accept_invalid_certs(true) is never used here
const NOTE: &str = "dangerous_accept_invalid_hostnames(true)";

fn params(pem: &[u8]) -> TlsParameters {
    TlsParameters::builder("smtp.example.org".into())
        .add_root_certificate(Certificate::from_pem(pem).unwrap())
        .dangerous_accept_invalid_certs(false)
        .build()
        .unwrap()
}

fn in_macros() {
    let checked = p!(TlsConnector::builder().danger_accept_invalid_certs(false).build());
    println!("danger_accept_invalid_hostnames(true) is not called: {}", 1);
    /* disabled: p!(TlsConnector::builder().danger_accept_invalid_certs(true).build()); */
}
