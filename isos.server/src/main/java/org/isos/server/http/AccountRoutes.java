package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.nio.charset.StandardCharsets;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.ca.CertificateAuthority;
import org.isos.server.ca.IssuedCertificate;

import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Accounts and their tokens, and buyers' code-signing certificates.
 */
final class AccountRoutes {

    private final Accounts accounts;
    private final CertificateAuthority ca;
    private final String caPemText;

    AccountRoutes(Accounts accounts, CertificateAuthority ca, String caPemText) {
        this.accounts = accounts;
        this.ca = ca;
        this.caPemText = caPemText;
    }

    void addTo(ApiRoutes routes) {
        routes.route("POST", "/v1/accounts", this::createAccount);
        routes.route("GET", "/v1/me", this::me);
        routes.route("POST", "/v1/tokens", this::issueToken);
        routes.route("DELETE", "/v1/tokens/current", this::revokeToken);
        routes.route("POST", "/v1/certificates", this::buyerCertificate);
    }

    /** Open to anyone for now: the enrollment and bank issues will gate who may create accounts. */
    private ApiResponse createAccount(ApiRequest request) throws Exception {
        ObjectNode body = jsonObject(request, true, "kind", "name");
        String kindCode = requiredString(body, "kind");
        AccountKind kind;
        try {
            kind = AccountKind.ofCode(kindCode);
        } catch (AccountRefused e) {
            throw new ApiException(400, "field 'kind' must be \"owner\" or \"buyer\", not " + quoted(kindCode));
        }
        IssuedToken issued = accounts.create(kind, requiredString(body, "name"));
        return Json.ok(201, account(issued.account()).put("token", issued.secret()));
    }

    private ApiResponse me(ApiRequest request) throws Exception {
        return Json.ok(200, account(authenticate(accounts, request)));
    }

    private ApiResponse issueToken(ApiRequest request) throws Exception {
        Account account = authenticate(accounts, request);
        jsonObject(request, false);
        IssuedToken issued = accounts.issueToken(account.id());
        return Json.ok(201, Json.object().put("token", issued.secret()).put("account", account.id())
                .put("created", issued.created().toString()));
    }

    private ApiResponse revokeToken(ApiRequest request) throws Exception {
        authenticate(accounts, request);
        if (request.body().length > 0) {
            throw new ApiException(400, "DELETE /v1/tokens/current takes no request body");
        }
        accounts.revoke(bearer(request));
        return ApiResponse.noContent();
    }

    /** A code-signing certificate for the buyer's key: {@code {"csr": PEM}} with CN = the buyer's account id. */
    private ApiResponse buyerCertificate(ApiRequest request) throws Exception {
        Account buyer = authenticate(accounts, request);
        if (buyer.kind() != AccountKind.BUYER) {
            throw new ApiException(403, "only buyers get code-signing certificates (this token is a "
                    + buyer.kind().code() + "'s)");
        }
        ObjectNode body = jsonObject(request, true, "csr");
        String csr = requiredString(body, "csr");
        if (csr.length() > 16 * 1024) {
            throw new ApiException(400, "field 'csr' is longer than 16 KiB");
        }
        IssuedCertificate issued = service(ca).issueBuyerCertificate(buyer.id(), csr.getBytes(StandardCharsets.UTF_8));
        return Json.ok(201, Json.object().put("serial", issued.serial())
                .put("certificate", IssuedCertificate.pem(issued.certificate())).put("chain", issued.pem())
                .put("caPem", caPemText).put("expires", issued.certificate().getNotAfter().toInstant().toString()));
    }

    private static ObjectNode account(Account account) {
        return Json.object().put("id", account.id()).put("kind", account.kind().code()).put("name", account.name())
                .put("created", account.created().toString());
    }
}
