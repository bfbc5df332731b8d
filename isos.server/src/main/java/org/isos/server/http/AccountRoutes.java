package org.isos.server.http;

import static org.isos.server.http.RequestChecks.*;

import java.nio.charset.StandardCharsets;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.AccountRefused;
import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.Invitation;
import org.isos.server.accounts.IssuedToken;
import org.isos.server.accounts.Signup;
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
    /** Null: anyone opens accounts and invitations answer 503 (tests of other parts). */
    private final Signup signup;

    AccountRoutes(Accounts accounts, CertificateAuthority ca, String caPemText, Signup signup) {
        this.accounts = accounts;
        this.ca = ca;
        this.caPemText = caPemText;
        this.signup = signup;
    }

    void addTo(ApiRoutes routes) {
        routes.route("POST", "/v1/accounts", this::createAccount);
        routes.route("POST", "/v1/invitations", this::invite);
        routes.route("GET", "/v1/me", this::me);
        routes.route("POST", "/v1/tokens", this::issueToken);
        routes.route("DELETE", "/v1/tokens/current", this::revokeToken);
        routes.route("POST", "/v1/certificates", this::buyerCertificate);
    }

    /**
     * {@code {"kind", "name", "invitation"?}}: open to anyone when signup is {@code open}; with {@code invite}, the
     * operator's bearer token or an invitation code for this kind is needed (403 otherwise).
     */
    private ApiResponse createAccount(ApiRequest request) throws Exception {
        ObjectNode body = jsonObject(request, true, "kind", "name", "invitation");
        AccountKind kind = kind(body);
        String name = requiredString(body, "name");
        String invitation = optionalText(body, "invitation", "invitation");
        IssuedToken issued;
        if (signup == null) {
            issued = accounts.create(kind, name);
        } else {
            String bearer = request.authorization() == null ? null : bearer(request);
            issued = signup.open(kind, name, bearer, invitation);
        }
        return Json.ok(201, account(issued.account()).put("token", issued.secret()));
    }

    /**
     * {@code {"kind"}}: an invitation to open one account of that kind, for the operator's token or a host owner's.
     */
    private ApiResponse invite(ApiRequest request) throws Exception {
        Signup s = service(signup);
        String bearer = bearer(request);
        Account issuer = s.isOperator(bearer) ? null : authenticate(accounts, request);
        ObjectNode body = jsonObject(request, true, "kind");
        AccountKind kind = kind(body);
        Invitation invitation = s.invite(issuer, kind);
        return Json.ok(201, Json.object().put("invitation", invitation.code()).put("kind", invitation.kind().code())
                .put("issuedBy", invitation.issuedBy()).put("created", invitation.created().toString())
                .put("expires", invitation.expires().toString()).put("signup", s.mode().code()));
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

    /** The body's required {@code kind}: "owner" or "buyer". */
    private static AccountKind kind(ObjectNode body) throws ApiException {
        String code = requiredString(body, "kind");
        try {
            return AccountKind.ofCode(code);
        } catch (AccountRefused e) {
            throw new ApiException(400, "field 'kind' must be \"owner\" or \"buyer\", not " + quoted(code));
        }
    }
}
