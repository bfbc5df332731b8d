package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.Accounts;
import org.isos.server.hosts.Hosts;
import org.isos.server.leases.Leases;
import org.isos.server.repository.Repository;
import org.isos.server.repository.StoredBundle;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The bundle repository: buyers upload signed bundles (admitted by the same checks the kernel runs),
 * hosts holding a lease fetch them by digest.
 */
final class RepositoryRoutes {

    static final String BUNDLE_ROUTE = "/v1/bundles/{sha256}";
    static final Pattern BUNDLE_PATH = Pattern.compile("/v1/bundles/([^/]{1,100})");

    private final Accounts accounts;
    private final Hosts hosts;
    private final Repository repository;
    private final Leases leases;

    RepositoryRoutes(Accounts accounts, Hosts hosts, Repository repository, Leases leases) {
        this.accounts = accounts;
        this.hosts = hosts;
        this.repository = repository;
        this.leases = leases;
    }

    void addTo(ApiRoutes routes) {
        routes.pattern(BUNDLE_PATH, BUNDLE_ROUTE);
        routes.route("POST", "/v1/bundles", this::uploadBundle);
        routes.route("GET", "/v1/bundles", this::listBundles);
        routes.route("GET", BUNDLE_ROUTE, this::downloadBundle);
    }

    /** A signed jar ({@code application/java-archive}, at most 64 MiB), admitted and stored by its SHA-256. */
    private ApiResponse uploadBundle(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        String media = request.contentType() == null ? "" : request.contentType().split(";")[0].strip().toLowerCase(Locale.ROOT);
        if (!media.equals("application/java-archive")) {
            throw new ApiException(415, media.isEmpty() ? "missing Content-Type: send the jar as application/java-archive"
                    : "Content-Type must be application/java-archive, not " + quoted(media));
        }
        StoredBundle stored = service(repository).store(buyer, request.body());
        return Json.ok(stored.added() ? 201 : 200, bundle(stored));
    }

    private ApiResponse listBundles(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        if (buyer.kind() != AccountKind.BUYER) {
            throw new ApiException(403, "only buyers have bundles (this token is a " + buyer.kind().code() + "'s)");
        }
        ObjectNode answer = Json.object();
        ArrayNode list = answer.putArray("bundles");
        for (StoredBundle stored : service(repository).bundlesOf(buyer)) {
            list.add(bundle(stored));
        }
        return Json.ok(200, answer);
    }

    /** The jar, for its buyer (token) or a host holding a running lease of it (its TLS client certificate). */
    private ApiResponse downloadBundle(ApiRequest request) throws Exception {
        Matcher path = BUNDLE_PATH.matcher(request.path());
        if (!path.matches()) {
            throw new ApiException(404, "no route " + request.path());
        }
        String sha256 = path.group(1);
        if (!sha256.matches("[0-9a-f]{64}")) {
            throw new ApiException(400, "a bundle is named by its SHA-256 (64 lowercase hex digits), not " + quoted(sha256));
        }
        String notFound = "no bundle " + sha256 + " for you";
        if (request.authorization() != null || request.clientCertificate() == null) {
            Account account = authenticate(accounts, request);
            Optional<StoredBundle> stored = service(repository).find(sha256);
            if (stored.isEmpty() || !stored.get().buyerId().equals(account.id())) {
                throw new ApiException(404, notFound);
            }
        } else {
            String hostId = commonNameOf(request.clientCertificate());
            if (hostId == null) {
                throw new ApiException(403, "the client certificate names no host");
            }
            service(hosts).authenticate(hostId, request.clientCertificate());
            if (!service(leases).holdsBundle(hostId, sha256)) {
                throw new ApiException(404, notFound + ": host " + hostId + " holds no running lease of it");
            }
        }
        Optional<byte[]> jar = service(repository).content(sha256);
        if (jar.isEmpty()) {
            throw new ApiException(404, notFound);
        }
        return new ApiResponse(200, "application/java-archive", jar.get(), Map.of(), false);
    }

    /** The certificate subject's single CN (a host id for host certificates), or null. */
    static String commonNameOf(java.security.cert.X509Certificate certificate) {
        try {
            List<String> names = new ArrayList<>();
            for (javax.naming.ldap.Rdn rdn : new javax.naming.ldap.LdapName(
                    certificate.getSubjectX500Principal().getName(javax.security.auth.x500.X500Principal.RFC2253)).getRdns()) {
                if (rdn.getType().equalsIgnoreCase("CN")) {
                    names.add(String.valueOf(rdn.getValue()));
                }
            }
            return names.size() == 1 ? names.get(0) : null;
        } catch (javax.naming.InvalidNameException e) {
            return null;
        }
    }

    private static ObjectNode bundle(StoredBundle stored) {
        return Json.object().put("sha256", stored.sha256()).put("symbolicName", stored.symbolicName())
                .put("version", stored.version()).put("size", stored.size()).put("uploaded", stored.uploaded().toString());
    }
}
