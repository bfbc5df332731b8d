#!/usr/bin/env bash
# Makes the TEST public-key infrastructure the build signs test apps with and the in-framework
# tests trust. Test keys only: committed so builds are reproducible; never trusted outside tests.
#   ca.p12        the test ISOS CA            (ca.pem: its certificate, the tests' trust anchor)
#   buyer-a.p12   code-signing key of buyer "buyer-a", chained to the CA
#   buyer-b.p12   code-signing key of buyer "buyer-b", chained to the CA
#   rogue.p12     a self-signed "buyer-a" that no ISOS CA vouches for
#   host-1.p12    TLS identity of test host "host-1", chained to the CA
#   host-2.p12    TLS identity of test host "host-2" (a peer the kernel tests play, and revoke)
# All store passwords: "isos-test".
set -euo pipefail
cd "$(dirname "$0")"
pw=isos-test
kt() { keytool -noprompt -storepass $pw -keypass $pw "$@"; }
rm -f *.p12 *.pem *.csr *.crt
kt -genkeypair -alias ca -keyalg EC -groupname secp256r1 -dname "CN=ISOS Test CA,O=ISOS" -validity 7300 \
   -ext bc:c=ca:true -ext ku:c=keyCertSign,cRLSign -keystore ca.p12 -storetype PKCS12
kt -exportcert -rfc -alias ca -keystore ca.p12 -file ca.pem
issue() { # name dname extended-key-usage
  kt -genkeypair -alias "$1" -keyalg EC -groupname secp256r1 -dname "$2" -validity 7300 -keystore "$1.p12" -storetype PKCS12
  kt -certreq -alias "$1" -keystore "$1.p12" -file "$1.csr"
  kt -gencert -alias ca -keystore ca.p12 -infile "$1.csr" -outfile "$1.crt" -rfc -validity 7300 -ext "eku=$3" -ext ku=digitalSignature
  cat ca.pem "$1.crt" > "$1.chain.pem"
  kt -importcert -alias "$1" -keystore "$1.p12" -file "$1.chain.pem"
  rm -f "$1.csr" "$1.crt" "$1.chain.pem"
}
issue buyer-a "CN=buyer-a,OU=buyer,O=ISOS" codeSigning
issue buyer-b "CN=buyer-b,OU=buyer,O=ISOS" codeSigning
issue host-1 "CN=host-1,OU=host,O=ISOS" serverAuth,clientAuth
issue host-2 "CN=host-2,OU=host,O=ISOS" serverAuth,clientAuth
kt -genkeypair -alias rogue -keyalg EC -groupname secp256r1 -dname "CN=buyer-a,OU=buyer,O=Rogue" -validity 7300 -keystore rogue.p12 -storetype PKCS12
ls -1
