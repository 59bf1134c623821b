require "net/imap"
require "net/pop"

# Net::IMAP.new(host, 993, true, nil, false) would not verify: never do that.
imap = Net::IMAP.new("imap.example.org", 993, true, "/etc/ssl/certs", true)
imap2 = Net::IMAP.new("imap.example.org", port: 993, ssl: { ca_file: "ca.pem" })
plain = Net::IMAP.new("imap.example.org", 143, false, nil, false)
plain.starttls(nil, true)
pop = Net::POP3.new("pop.example.org", 995)
pop.enable_ssl(OpenSSL::SSL::VERIFY_PEER)
raise "bad" if pop.ssl_params[:verify_mode] == OpenSSL::SSL::VERIFY_NONE
