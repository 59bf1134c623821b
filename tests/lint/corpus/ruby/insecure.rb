# ActionMailer and Mail with certificate checks off.
Rails.application.configure do
  config.action_mailer.smtp_settings = {
    address: "smtp.example.org",
    port: 587,
    enable_starttls_auto: true,
    openssl_verify_mode: "none", # expect: lint.ruby.verify_none
  }
end

Mail.defaults do
  delivery_method :smtp, address: "smtp.example.org", openssl_verify_mode: OpenSSL::SSL::VERIFY_NONE # expect: lint.ruby.verify_none
end

settings = { :openssl_verify_mode => :none } # expect: lint.ruby.verify_none
ctx = OpenSSL::SSL::SSLContext.new
ctx.verify_mode = OpenSSL::SSL::VERIFY_NONE # expect: lint.ruby.verify_none
