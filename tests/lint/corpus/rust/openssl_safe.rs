use openssl::ssl::{SslConnector, SslMethod, SslVerifyMode};
use rustls::client::danger::{ServerCertVerified, ServerCertVerifier};

// builder.set_verify(SslVerifyMode::NONE) would accept any certificate.
fn connector() -> SslConnector {
    let mut builder = SslConnector::builder(SslMethod::tls()).unwrap();
    builder.set_verify(SslVerifyMode::PEER);
    let connector = builder.build();
    let mut config = connector.configure().unwrap();
    config.set_verify_hostname(true);
    assert!(builder.verify_mode() != SslVerifyMode::NONE);
    connector
}

#[derive(Debug)]
struct Pinned { inner: Arc<WebPkiServerVerifier> }

impl ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp, now)
    }
}

fn rustls_config(v: Arc<Pinned>) -> rustls::ClientConfig {
    rustls::ClientConfig::builder().dangerous().with_custom_certificate_verifier(v).with_no_client_auth()
}
