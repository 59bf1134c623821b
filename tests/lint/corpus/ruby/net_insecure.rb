require "net/imap"
require "net/pop"

imap = Net::IMAP.new("imap.example.org", 993, true, nil, false) # expect: lint.ruby.net_imap_no_verify
plain = Net::IMAP.new("imap.example.org", 143)
plain.starttls(nil, false) # expect: lint.ruby.net_imap_no_verify
pop = Net::POP3.new("pop.example.org", 995)
pop.enable_ssl(OpenSSL::SSL::VERIFY_NONE) # expect: lint.ruby.verify_none
