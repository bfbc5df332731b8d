package org.isos.apps.streaming.host;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Checks the view tickets the ISOS server sells with a view (isos.server {@code ViewTickets}, docs/protocol.md): a
 * ticket is {@code base64url(payload) "." base64url(signature)}, the signature the ISOS CA root's (SHA256withECDSA)
 * over the ASCII bytes {@code "ISOS view-ticket\n"} and the payload's base64url text; the payload is compact JSON
 * with at least {@code v} (1), {@code title} and {@code exp} (epoch seconds).
 *
 * <p>The CA certificate comes from this bundle: {@code isos stream publish} writes it into the app as
 * {@value #TRUST_RESOURCE} before the provider signs the jar, so the anchor is as trustworthy as the app's own code
 * (the agent installs only a jar whose every entry the buyer signed), and the kernel API needs nothing new. An app
 * without it can check no ticket and serves no fragment.
 */
final class ViewTicketCheck {

    /** Where the provider's signed bundle keeps the ISOS CA certificate (PEM). */
    static final String TRUST_RESOURCE = "/OSGI-INF/isos/view-ticket-ca.pem";

    static final String PURPOSE_PREFIX = "ISOS view-ticket\n";

    private static final Pattern B64URL = Pattern.compile("[A-Za-z0-9_-]+");

    /** The CA root's key; null when the bundle carries none. */
    private final PublicKey root;
    private final String missingRoot;
    private final Clock clock;

    /** What a valid ticket allows: its title until its expiry. */
    record Admit(String title, String viewId, Instant expires) {
    }

    ViewTicketCheck(PublicKey root, Clock clock) {
        this(root, null, clock);
    }

    private ViewTicketCheck(PublicKey root, String missingRoot, Clock clock) {
        this.root = root;
        this.missingRoot = missingRoot;
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The check with the CA certificate this bundle carries, or one that refuses every ticket saying why. */
    static ViewTicketCheck bundled(Clock clock) {
        try (InputStream in = ViewTicketCheck.class.getResourceAsStream(TRUST_RESOURCE)) {
            if (in == null) {
                return new ViewTicketCheck(null, "this host's copy of the app carries no ISOS CA certificate ("
                        + TRUST_RESOURCE + ") to check tickets with; the provider publishes with `isos stream publish`,"
                        + " which puts it in", clock);
            }
            X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
            return new ViewTicketCheck(ca.getPublicKey(), clock);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            return new ViewTicketCheck(null, "the app's ISOS CA certificate " + TRUST_RESOURCE + " is unreadable: "
                    + e.getMessage(), clock);
        }
    }

    Instant now() {
        return clock.instant();
    }

    /**
     * Checks the signature and reads the payload; the caller compares the title and the expiry at each use.
     *
     * @return what {@code ticket} admits
     * @throws IllegalArgumentException with the reason a host answers: {@code BAD_TICKET: …} (malformed, forged)
     */
    Admit check(String ticket) {
        if (root == null) {
            throw new IllegalArgumentException("BAD_TICKET: cannot be checked: " + missingRoot);
        }
        int dot = ticket.indexOf('.');
        if (dot < 1 || dot != ticket.lastIndexOf('.') || dot == ticket.length() - 1
                || !B64URL.matcher(ticket.substring(0, dot)).matches()
                || !B64URL.matcher(ticket.substring(dot + 1)).matches()) {
            throw new IllegalArgumentException("BAD_TICKET: not a view ticket (base64url payload '.' base64url "
                    + "signature)");
        }
        String body = ticket.substring(0, dot);
        boolean signed;
        try {
            Signature signature = Signature.getInstance("SHA256withECDSA");
            signature.initVerify(root);
            signature.update((PURPOSE_PREFIX + body).getBytes(StandardCharsets.US_ASCII));
            signed = signature.verify(Base64.getUrlDecoder().decode(ticket.substring(dot + 1)));
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            signed = false;
        }
        if (!signed) {
            throw new IllegalArgumentException("BAD_TICKET: its signature is not the ISOS CA's");
        }
        Map<String, Object> payload;
        try {
            payload = new FlatJson(new String(Base64.getUrlDecoder().decode(body), StandardCharsets.UTF_8)).object();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("BAD_TICKET: its payload is not a flat JSON object (" + e.getMessage()
                    + ")");
        }
        if (!Long.valueOf(1).equals(payload.get("v")) || !(payload.get("title") instanceof String ticketTitle)
                || !(payload.get("exp") instanceof Long exp)) {
            throw new IllegalArgumentException("BAD_TICKET: its payload lacks v 1, a title or an exp");
        }
        String viewId = payload.get("viewId") instanceof String id ? id : "?";
        return new Admit(ticketTitle, viewId, Instant.ofEpochSecond(exp));
    }

    static String expired(String title, String viewId, Instant expires) {
        return "EXPIRED_TICKET: view " + viewId + " of " + title + " expired at " + expires
                + "; buy the view again (the same view id is not charged twice)";
    }

    /** Just enough JSON for a ticket's payload: one object of strings, integers, booleans and nulls. */
    static final class FlatJson {
        private final String text;
        private int at;

        FlatJson(String text) {
            this.text = text;
        }

        Map<String, Object> object() {
            Map<String, Object> fields = new HashMap<>();
            space();
            expect('{');
            space();
            if (peek() == '}') {
                at++;
            } else {
                while (true) {
                    space();
                    String name = string();
                    space();
                    expect(':');
                    space();
                    if (fields.put(name, value()) != null) {
                        throw new IllegalArgumentException("field " + name + " twice");
                    }
                    space();
                    char c = next();
                    if (c == '}') {
                        break;
                    }
                    if (c != ',') {
                        throw new IllegalArgumentException("',' or '}' expected at " + (at - 1));
                    }
                }
            }
            space();
            if (at != text.length()) {
                throw new IllegalArgumentException("text after the object at " + at);
            }
            return fields;
        }

        private Object value() {
            char c = peek();
            if (c == '"') {
                return string();
            }
            if (c == '-' || (c >= '0' && c <= '9')) {
                int start = at++;
                while (at < text.length() && Character.isDigit(text.charAt(at))) {
                    at++;
                }
                try {
                    return Long.parseLong(text.substring(start, at));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not an integer at " + start);
                }
            }
            for (String word : new String[] { "true", "false", "null" }) {
                if (text.startsWith(word, at)) {
                    at += word.length();
                    return word.equals("null") ? null : Boolean.valueOf(word);
                }
            }
            throw new IllegalArgumentException("a string, integer, boolean or null expected at " + at);
        }

        private String string() {
            expect('"');
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return out.toString();
                }
                if (c < 0x20) {
                    throw new IllegalArgumentException("control character in a string at " + (at - 1));
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    if (at + 4 > text.length()) {
                        throw new IllegalArgumentException("short \\u escape at " + at);
                    }
                    try {
                        out.append((char) Integer.parseInt(text.substring(at, at + 4), 16));
                    } catch (NumberFormatException x) {
                        throw new IllegalArgumentException("bad \\u escape at " + at);
                    }
                    at += 4;
                }
                default -> throw new IllegalArgumentException("bad escape \\" + e + " at " + (at - 1));
                }
            }
        }

        private void space() {
            while (at < text.length() && " \t\r\n".indexOf(text.charAt(at)) >= 0) {
                at++;
            }
        }

        private char peek() {
            if (at >= text.length()) {
                throw new IllegalArgumentException("the text ends early");
            }
            return text.charAt(at);
        }

        private char next() {
            char c = peek();
            at++;
            return c;
        }

        private void expect(char c) {
            if (next() != c) {
                throw new IllegalArgumentException("'" + c + "' expected at " + (at - 1));
            }
        }
    }
}
