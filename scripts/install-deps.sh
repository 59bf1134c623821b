#!/bin/sh
# Install the OS packages the real-server tests need: Postfix, Dovecot (imapd, pop3d,
# managesieved), swaks, msmtp, curl, openssl. Idempotent and non-interactive:
#   - nothing is installed (and apt is not touched) when everything is present;
#   - not root and something missing: print what is missing, exit 1;
#   - the stock postfix/dovecot services are kept from starting during the install and
#     stopped (and disabled) if they run: the tests start private instances on loopback.
set -eu

BINARIES="postfix dovecot doveadm swaks msmtp curl openssl prometheus promtool zabbix_server php chromium"
PACKAGES_DPKG="postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-managesieved swaks libnet-ssleay-perl libio-socket-ssl-perl msmtp curl openssl postgresql prometheus zabbix-server-pgsql zabbix-frontend-php php-cli php-pgsql chromium fonts-wqy-microhei fetchmail getmail6 isync mpop s-nail mutt knot redis-server openjdk-17-jdk-headless libjakarta-mail-java libphp-phpmailer ruby"
APT_PACKAGES="postfix dovecot-imapd dovecot-pop3d dovecot-managesieved swaks libnet-ssleay-perl libio-socket-ssl-perl msmtp curl openssl postgresql prometheus zabbix-server-pgsql zabbix-frontend-php php-cli php-pgsql chromium fonts-wqy-microhei fetchmail getmail6 isync mpop s-nail mutt knot redis-server openjdk-17-jdk-headless libjakarta-mail-java libphp-phpmailer ruby"

say() { printf 'install-deps: %s\n' "$*"; }

missing() {
    out=""
    for b in $BINARIES; do
        command -v "$b" >/dev/null 2>&1 || out="$out binary:$b"
    done
    if command -v dpkg-query >/dev/null 2>&1; then
        for p in $PACKAGES_DPKG; do
            # `dpkg -s` succeeds for removed packages whose config files remain
            dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q ' installed$' \
                || out="$out package:$p"
        done
    fi
    printf '%s' "$out"
}

is_root() { [ "$(id -u)" -eq 0 ]; }

# Stop (and keep stopped) the distribution's own postfix and dovecot services.
stop_services() {
    for svc in postfix dovecot zabbix-server; do
        if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
            systemctl stop "$svc" >/dev/null 2>&1 || true
            systemctl disable "$svc" >/dev/null 2>&1 || true
        elif command -v service >/dev/null 2>&1; then
            service "$svc" stop >/dev/null 2>&1 || true
        fi
    done
    # without an init system: the default instances, if anything started them
    if command -v postfix >/dev/null 2>&1 && [ -f /etc/postfix/main.cf ] \
        && postfix status >/dev/null 2>&1; then
        postfix stop </dev/null >/dev/null 2>&1 || true
    fi
    if [ -f /run/dovecot/master.pid ] && kill -0 "$(cat /run/dovecot/master.pid)" 2>/dev/null; then
        doveadm stop </dev/null >/dev/null 2>&1 || kill "$(cat /run/dovecot/master.pid)" || true
    fi
}

# Private test instances are registered in the default main.cf: make sure there is one.
ensure_default_main_cf() {
    if [ -d /etc/postfix ] && [ ! -f /etc/postfix/main.cf ]; then
        say "creating a minimal /etc/postfix/main.cf (the package left none)"
        printf '%s\n' "# created by mailtls scripts/install-deps.sh" \
            "compatibility_level = 3.6" "inet_interfaces = loopback-only" \
            > /etc/postfix/main.cf
    fi
}

need="$(missing)"
if [ -z "$need" ]; then
    say "postfix, dovecot (imapd, pop3d, managesieved), swaks, msmtp, curl, openssl: present"
    if is_root; then
        ensure_default_main_cf
        stop_services
    fi
    exit 0
fi

say "missing:$need"
if ! is_root; then
    say "not root: install them with (as root)"
    say "  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $APT_PACKAGES"
    say "or run this script as root (e.g. sudo scripts/install-deps.sh)"
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    say "no apt-get here: install Postfix, Dovecot 2.3 (imap, pop3, managesieve), swaks, msmtp, curl and openssl by hand"
    exit 1
fi

# Keep maintainer scripts from starting the daemons (Debian's policy-rc.d convention);
# our own file only, removed again on exit.
POLICY=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$POLICY" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$POLICY"
    chmod 755 "$POLICY"
    made_policy=1
fi
cleanup() { if [ -n "$made_policy" ]; then rm -f "$POLICY"; fi; }
trap cleanup EXIT INT TERM

export DEBIAN_FRONTEND=noninteractive
if command -v debconf-set-selections >/dev/null 2>&1; then
    printf '%s\n' \
        "postfix postfix/main_mailer_type select No configuration" \
        "postfix postfix/mailname string localhost" | debconf-set-selections
fi
apt-get update
apt-get install -y --no-install-recommends $APT_PACKAGES

ensure_default_main_cf
stop_services

need="$(missing)"
if [ -n "$need" ]; then
    say "still missing after install:$need"
    exit 1
fi
say "installed: $(postconf -h mail_version 2>/dev/null | sed 's/^/postfix /'), dovecot $(dovecot --version 2>/dev/null)"
