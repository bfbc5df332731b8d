package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.Accounts;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.CertificateKind;
import org.isos.server.ca.CertificateRecord;
import org.isos.server.hosts.HostStatus;
import org.isos.server.hosts.Hosts;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Revoking certificates: a buyer its own code-signing certificates (the hosts then end every lease whose bundle that
 * certificate signed), an owner its hosts' certificates (the host can no longer heartbeat, and peers refuse it). The
 * revocation reaches agents in the {@code revokedSerials} of their heartbeat answers.
 */
final class CertificateRoutes {

    static final String REVOKE_ROUTE = "/v1/certificates/{serial}/revoke";
    static final Pattern REVOKE_PATH = Pattern.compile("/v1/certificates/([0-9A-Fa-f]{1,40})/revoke");
    static final int MAX_REASON_CHARS = 200;

    private final Accounts accounts;
    private final CertificateAuthority ca;
    private final Hosts hosts;

    CertificateRoutes(Accounts accounts, CertificateAuthority ca, Hosts hosts) {
        this.accounts = accounts;
        this.ca = ca;
        this.hosts = hosts;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(REVOKE_PATH, REVOKE_ROUTE);
        routes.route("POST", REVOKE_ROUTE, this::revoke);
    }

    /** {@code {"reason": "..."}}: 200 with the revocation, 404 for a certificate that is not the caller's. */
    private ApiResponse revoke(ApiRequest request) throws Exception {
        Matcher path = REVOKE_PATH.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path() + " (the serial is hexadecimal, at most 40 digits)");
        }
        Account caller = authenticate(accounts, request);
        CertificateAuthority authority = service(ca);
        ObjectNode body = jsonObject(request, true, "reason");
        String reason = requiredString(body, "reason");
        if (reason.isBlank()) {
            throw new ApiException(400, "field 'reason' must say why the certificate is revoked");
        }
        if (reason.length() > MAX_REASON_CHARS) {
            throw new ApiException(400, "field 'reason' is longer than " + MAX_REASON_CHARS + " characters");
        }
        String serial = path.group(1);
        Optional<CertificateRecord> found = authority.record(serial);
        if (found.isEmpty() || !owns(caller, found.get())) {
            throw new ApiException(404, "no certificate " + serial.toLowerCase(java.util.Locale.ROOT) + " of yours: "
                    + (caller.kind() == AccountKind.BUYER ? "a buyer revokes its own code-signing certificates"
                            : "an owner revokes its hosts' certificates"));
        }
        CertificateRecord record = found.get();
        if (record.revoked()) {
            throw new ApiException(409, "certificate " + record.serial() + " is revoked already (at " + record.revokedAt()
                    + ": " + record.revocationReason() + ")");
        }
        if (!authority.revoke(record.serial(), reason.strip())) {
            throw new ApiException(409, "certificate " + record.serial() + " was revoked meanwhile");
        }
        CertificateRecord revoked = authority.record(record.serial()).orElseThrow();
        return Json.ok(200, Json.object().put("serial", revoked.serial()).put("kind", revoked.kind().code())
                .put("commonName", revoked.commonName()).put("revoked", revoked.revokedAt().toString())
                .put("reason", revoked.revocationReason()));
    }

    /** A buyer's own code-signing certificate (CN = its id), or the certificate of one of an owner's hosts. */
    private boolean owns(Account caller, CertificateRecord record) throws Exception {
        if (caller.kind() == AccountKind.BUYER) {
            return record.kind() == CertificateKind.BUYER && caller.id().equals(record.commonName());
        }
        if (caller.kind() != AccountKind.OWNER || record.kind() != CertificateKind.HOST) {
            return false;
        }
        for (HostStatus host : service(hosts).hostsOf(caller)) {
            if (host.hostId().equals(record.commonName())) {
                return true;
            }
        }
        return false;
    }
}
