# openssl_verify_mode: 'none' is forbidden; we verify the peer.
NOTE = "OpenSSL::SSL::VERIFY_NONE accepts any certificate"
config.action_mailer.smtp_settings = {
  address: "smtp.example.org",
  openssl_verify_mode: "peer",
  ca_file: "/etc/ssl/corp-ca.pem",
}
ctx = OpenSSL::SSL::SSLContext.new
ctx.verify_mode = OpenSSL::SSL::VERIFY_PEER
raise "insecure" if ctx.verify_mode == OpenSSL::SSL::VERIFY_NONE
