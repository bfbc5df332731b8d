package org.isos.server.titles;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.security.Signature;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Pattern;

import org.isos.server.ca.CertificateAuthority;
import org.isos.server.titles.TicketRefused.Code;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * View tickets: what the server hands a viewer with a view it sold, and what the streaming app on the title's hosts
 * checks before it serves a fragment. A ticket is {@code base64url(payload) "." base64url(signature)} (no padding):
 * the payload is compact JSON {@code {"v":1,"title":…,"viewer":…,"viewId":…,"manifest":<sha256 hex>,"iat":<epoch
 * s>,"exp":<epoch s>}}; the signature is the ISOS CA root's ({@link CertificateAuthority#signStatement}, purpose
 * {@value #PURPOSE}) over the payload's base64url text, so a host that trusts the CA needs nothing but its root
 * certificate to check one. Hosts see no account: a ticket is a bearer token, short-lived for that reason.
 */
public final class ViewTickets {

    /** The CA statement purpose: what the signed bytes begin with after {@code "ISOS "}. */
    public static final String PURPOSE = "view-ticket";

    /** How long a ticket lets its bearer watch: a long film with pauses. */
    public static final Duration LIFETIME = Duration.ofHours(6);

    /** The longest ticket a host reads. */
    public static final int MAX_TICKET_CHARS = 2048;

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern B64URL = Pattern.compile("[A-Za-z0-9_-]+");

    private final CertificateAuthority ca;
    private final Clock clock;

    public ViewTickets(CertificateAuthority ca, Clock clock) {
        this.ca = Objects.requireNonNull(ca, "ca");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A ticket for {@code view}, valid from now for {@link #LIFETIME}. */
    public Issued issue(View view) {
        Instant issued = clock.instant();
        Instant expires = issued.plus(LIFETIME);
        ObjectNode payload = JSON.createObjectNode().put("v", 1).put("title", view.title())
                .put("viewer", view.viewer()).put("viewId", view.id()).put("manifest", manifestSha256(view.manifest()))
                .put("iat", issued.getEpochSecond()).put("exp", expires.getEpochSecond());
        String body;
        try {
            body = b64(JSON.writeValueAsBytes(payload));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot write a view ticket: " + e.getMessage(), e);
        }
        byte[] signature = ca.signStatement(PURPOSE, body.getBytes(StandardCharsets.US_ASCII));
        return new Issued(body + "." + b64(signature), new ViewTicket(view.title(), view.viewer(), view.id(),
                manifestSha256(view.manifest()), Instant.ofEpochSecond(issued.getEpochSecond()),
                Instant.ofEpochSecond(expires.getEpochSecond())));
    }

    /** A ticket as text, and what it says. */
    public record Issued(String text, ViewTicket ticket) {
    }

    /**
     * Checks {@code text} as the hosts do: signed by the CA whose root key is {@code root}, for {@code title}, not
     * expired at {@code now}.
     *
     * @throws TicketRefused NO_TICKET (null or empty), BAD_TICKET (malformed, forged, another title), EXPIRED_TICKET
     */
    public static ViewTicket verify(String text, PublicKey root, String title, Instant now) throws TicketRefused {
        if (text == null || text.isEmpty()) {
            throw new TicketRefused(Code.NO_TICKET, "a view ticket is needed to watch " + title
                    + " (POST /v1/titles/" + title + "/views)");
        }
        if (text.length() > MAX_TICKET_CHARS) {
            throw new TicketRefused(Code.BAD_TICKET, "a ticket of " + text.length() + " characters is over "
                    + MAX_TICKET_CHARS);
        }
        int dot = text.indexOf('.');
        if (dot < 1 || dot != text.lastIndexOf('.') || dot == text.length() - 1
                || !B64URL.matcher(text.substring(0, dot)).matches() || !B64URL.matcher(text.substring(dot + 1)).matches()) {
            throw new TicketRefused(Code.BAD_TICKET, "not a view ticket (base64url payload '.' base64url signature)");
        }
        String body = text.substring(0, dot);
        try {
            Signature check = Signature.getInstance("SHA256withECDSA");
            check.initVerify(root);
            check.update(("ISOS " + PURPOSE + "\n" + body).getBytes(StandardCharsets.US_ASCII));
            if (!check.verify(Base64.getUrlDecoder().decode(text.substring(dot + 1)))) {
                throw new TicketRefused(Code.BAD_TICKET, "its signature is not the ISOS CA's");
            }
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new TicketRefused(Code.BAD_TICKET, "its signature is not the ISOS CA's (" + e.getMessage() + ")");
        }
        JsonNode payload;
        try {
            payload = JSON.readTree(Base64.getUrlDecoder().decode(body));
        } catch (java.io.IOException | IllegalArgumentException e) {
            throw new TicketRefused(Code.BAD_TICKET, "its payload is not JSON");
        }
        if (payload == null || payload.path("v").asInt() != 1 || !payload.path("title").isTextual()
                || !payload.path("viewer").isTextual() || !payload.path("viewId").isTextual()
                || !payload.path("manifest").isTextual() || !payload.path("iat").canConvertToLong()
                || !payload.path("exp").canConvertToLong()) {
            throw new TicketRefused(Code.BAD_TICKET, "its payload lacks v 1, title, viewer, viewId, manifest, iat or exp");
        }
        ViewTicket ticket = new ViewTicket(payload.path("title").asText(), payload.path("viewer").asText(),
                payload.path("viewId").asText(), payload.path("manifest").asText(),
                Instant.ofEpochSecond(payload.path("iat").asLong()), Instant.ofEpochSecond(payload.path("exp").asLong()));
        if (!ticket.title().equals(title)) {
            throw new TicketRefused(Code.BAD_TICKET, "the ticket is for " + ticket.title() + ", not " + title);
        }
        if (ticket.expiredAt(now)) {
            throw new TicketRefused(Code.EXPIRED_TICKET, "view " + ticket.viewId() + " of " + title + " expired at "
                    + ticket.expires() + "; buy the view again (the same view id is not charged twice)");
        }
        return ticket;
    }

    /** The lowercase hex SHA-256 of a manifest's UTF-8 text: what a ticket names it by. */
    public static String manifestSha256(String manifest) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(manifest.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }
}
