package org.isos.server.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.Accounts;
import org.isos.server.accounts.IssuedToken;
import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The routes without Netty: a failing store is a 500 with a reference, never the failure itself. */
class ApiRoutesTest {

    /** Accounts whose store is down. */
    private static final Accounts BROKEN = new Accounts() {
        @Override
        public IssuedToken create(AccountKind kind, String name) throws SQLException {
            throw new SQLException("connection refused: db.internal:5432 (secret detail)");
        }

        @Override
        public Optional<Account> find(String id) throws SQLException {
            throw new SQLException("down");
        }

        @Override
        public IssuedToken issueToken(String accountId) throws SQLException {
            throw new SQLException("down");
        }

        @Override
        public Optional<Account> authenticate(String token) {
            throw new IllegalStateException("a bug");
        }

        @Override
        public boolean revoke(String token) throws SQLException {
            throw new SQLException("down");
        }
    };

    @Test
    void internalFailuresAreA500WithAReferenceOnly() throws Exception {
        Logger log = Logger.getLogger(ApiRoutes.class.getName());
        Level level = log.getLevel();
        log.setLevel(Level.OFF); // the stack traces are expected here
        try {
            ApiRoutes routes = new ApiRoutes(BROKEN, "PEM", "{}".getBytes(StandardCharsets.UTF_8));
            for (ApiRequest request : new ApiRequest[] {
                    new ApiRequest("POST", "/v1/accounts", "application/json", null,
                            "{\"kind\":\"owner\",\"name\":\"Mary\"}".getBytes(StandardCharsets.UTF_8), true, null),
                    new ApiRequest("GET", "/v1/me", null, "Bearer isos_x", new byte[0], true, null) }) {
                ApiResponse response = routes.handle(request);
                assertEquals(500, response.status());
                JsonNode body = new ObjectMapper().readTree(response.body());
                assertEquals(500, body.get("status").asInt());
                String message = body.get("error").asText();
                assertTrue(message.matches("internal error \\(reference [0-9a-f-]{36}\\)"), message);
                String text = new String(response.body(), StandardCharsets.UTF_8);
                assertFalse(text.contains("secret") || text.contains("bug") || text.contains("Exception"), text);
            }
            // refusals still come first: they need no store
            assertEquals(404, routes.handle(new ApiRequest("GET", "/x", null, null, new byte[0], true, null)).status());
            assertEquals(401, routes.handle(new ApiRequest("GET", "/v1/me", null, null, new byte[0], true, null)).status());
        } finally {
            log.setLevel(level);
        }
    }

    @Test
    void anIdBetweenFixedPartsIsWhatTheIdPatternsAccept() {
        ApiRoutes routes = new ApiRoutes(BROKEN, null, "PEM", "{}".getBytes(StandardCharsets.UTF_8));
        java.util.regex.Pattern heartbeat = HostRoutes.HEARTBEAT_PATH;
        for (String path : new String[] { "/v1/hosts/host-ab12/heartbeat", "/v1/hosts/a/heartbeat",
                "/v1/hosts/" + "x".repeat(100) + "/heartbeat", "/v1/hosts/" + "x".repeat(101) + "/heartbeat",
                "/v1/hosts//heartbeat", "/v1/hosts/a b/heartbeat", "/v1/hosts/a/b/heartbeat", "/v1/hosts/a/heartbeats",
                "/v1/hosts/heartbeat", "/v2/hosts/a/heartbeat", "/v1/hosts/a%2F/heartbeat", "/v1/hosts/A.Z_0-9/heartbeat" }) {
            java.util.regex.Matcher m = heartbeat.matcher(path);
            assertEquals(m.matches() ? m.group(1) : null, ApiRoutes.idBetween(path, "/v1/hosts/", "/heartbeat"), path);
            // and the route table sends a path to the heartbeat exactly when the pattern matches it
            assertEquals(m.matches(), routes.routeOf(path).equals(HostRoutes.HEARTBEAT_ROUTE), path);
        }
    }
}
