use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};
use std::sync::Arc;

fn connector() -> SslConnector {
    let mut builder = SslConnector::builder(SslMethod::tls()).unwrap();
    builder.set_verify(SslVerifyMode::NONE); // expect: lint.rust.openssl_verify_none
    let connector = builder.build();
    let mut config = connector.configure().unwrap();
    config.set_verify_hostname(false); // expect: lint.rust.openssl_no_hostname
    connector
}

#[derive(Debug)]
struct NoVerify;

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert( // expect: lint.rust.rustls_no_verify
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }
}

fn rustls_config() -> rustls::ClientConfig {
    rustls::ClientConfig::builder()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(NoVerify))
        .with_no_client_auth()
}
