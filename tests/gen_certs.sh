#!/usr/bin/env bash
# Generates the throw-away PKI the tests and the demo use, into $1 (idempotent: skips if done).
#   ca          EC P-256 root; ca.pem and ca.der
#   other_ca    an unrelated root (for "wrong CA")
#   server_ec   EC P-256 leaf for localhost, 127.0.0.1, ::1
#   server_rsa  RSA-2048 leaf for the same names
#   server_named  leaf for server.test only (hostname mismatch / common_name override)
#   server_big  EC leaf for the same names and 300 more: a certificate of some 7 KB, larger than a
#               4 KiB input buffer
#   expired     leaf for localhost that expired in 2021
#   client      client leaf; client_enc.key is its key encrypted with the password "secret"
#   client_other  client leaf signed by other_ca
#   int, server_int   an intermediate under ca, and a localhost leaf under it
#   ca_cross    ca's name and key, certified by other_ca (a cross-signed root);
#               chain_cross.pem = int + ca_cross, what a server sends along with server_int
#   impostor_ca   a root with ca's name and another key; server_impostor, a localhost leaf under it
#   server_hosts  leaf under ca for the hosts ESP-IDF's esp_http_client example names
set -euo pipefail
out=${1:?usage: gen_certs.sh OUTDIR}
stamp=$(sha256sum < "$0")  # a changed script regenerates
mkdir -p "$out"
cd "$out"
[ "$(cat .done 2>/dev/null)" = "$stamp" ] && exit 0

ec_key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }

root() { # name CN
    ec_key "$1.key"
    openssl req -x509 -new -key "$1.key" -subj "/CN=$2" -days 3650 -out "$1.pem" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl x509 -in "$1.pem" -outform DER -out "$1.der"
}

# A CA certificate for an existing key: name CA CN (CA signs the CSR of name.key).
sub_ca() {
    openssl req -new -key "$1.key" -subj "/CN=$3" -out "$1.csr"
    printf 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n' > "$1.ext"
    openssl x509 -req -in "$1.csr" -CA "$2.pem" -CAkey "$2.key" -CAcreateserial -extfile "$1.ext" \
        -days 3650 -out "$1.pem" 2>/dev/null
}

leaf() { # name CA CN SAN [extra x509 args...]
    local name=$1 ca=$2 cn=$3 san=$4
    shift 4
    openssl req -new -key "$name.key" -subj "/CN=$cn" -out "$name.csr"
    printf 'subjectAltName=%s\nbasicConstraints=CA:FALSE\n' "$san" > "$name.ext"
    openssl x509 -req -in "$name.csr" -CA "$ca.pem" -CAkey "$ca.key" -CAcreateserial \
        -extfile "$name.ext" -out "$name.pem" "$@" 2>/dev/null
}

# An expired certificate needs explicit dates, which only `openssl ca` sets on OpenSSL 3.0.
expired_leaf() {
    mkdir -p ca_db && : > ca_db/index.txt && echo 1000 > ca_db/serial
    cat > ca_db/ca.cnf <<CNF
[ca]
default_ca = d
[d]
database = ca_db/index.txt
serial = ca_db/serial
new_certs_dir = ca_db
default_md = sha256
policy = p
copy_extensions = copy
[p]
commonName = supplied
CNF
    ec_key expired.key
    openssl req -new -key expired.key -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
        -out expired.csr
    openssl ca -batch -config ca_db/ca.cnf -cert ca.pem -keyfile ca.key -in expired.csr -out expired.pem \
        -startdate 20200101000000Z -enddate 20210101000000Z -notext 2>/dev/null
}

local_names="DNS:localhost,IP:127.0.0.1,IP:::1"
root ca "portls test CA"
root other_ca "unrelated CA"
ec_key server_ec.key
leaf server_ec ca localhost "$local_names" -days 365
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out server_rsa.key 2>/dev/null
leaf server_rsa ca localhost "$local_names" -days 365
ec_key server_named.key
leaf server_named ca server.test "DNS:server.test" -days 365
ec_key server_big.key
leaf server_big ca localhost "$local_names$(printf ',DNS:name%03d.portls.test' $(seq 300))" -days 365
expired_leaf
ec_key client.key
leaf client ca "portls client" "DNS:client.test" -days 365
openssl pkey -in client.key -aes256 -passout pass:secret -out client_enc.key
ec_key client_other.key
leaf client_other other_ca "stranger" "DNS:stranger.test" -days 365
ec_key int.key
sub_ca int ca "portls test intermediate"
ec_key server_int.key
leaf server_int int localhost "$local_names" -days 365
cp ca.key ca_cross.key
sub_ca ca_cross other_ca "portls test CA"
cat int.pem ca_cross.pem > chain_cross.pem
root impostor_ca "portls test CA"
ec_key server_impostor.key
leaf server_impostor impostor_ca localhost "$local_names" -days 365
ec_key server_hosts.key
leaf server_hosts ca httpbin.org \
    "DNS:httpbin.org,DNS:www.howsmyssl.com,DNS:postman-echo.com,DNS:dl.espressif.com" -days 365
chmod 644 ./*.key
echo "$stamp" > .done
