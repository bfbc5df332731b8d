package org.isos.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

import org.junit.jupiter.api.Test;

import com.fasterxml.jackson.databind.node.ObjectNode;

/** What {@code deploy --watch} takes for a bundle, and how it reads a lease's answer to an update. */
class BundleWatchTest {

    static final String OLD = "a".repeat(64);
    static final String NEW = "b".repeat(64);

    @Test
    void onlyACompleteJarWithASymbolicNameIsPushed() throws Exception {
        byte[] good = jar("org.example.app");
        assertNull(BundleWatch.problemOf(good));
        assertEquals("the file is empty", BundleWatch.problemOf(new byte[0]));
        assertTrue(BundleWatch.problemOf("this is not a jar".getBytes(StandardCharsets.UTF_8)) != null);
        assertTrue(BundleWatch.problemOf(Arrays.copyOf(good, good.length / 2)) != null, "half written");
        assertEquals("its manifest has no Bundle-SymbolicName", BundleWatch.problemOf(jar(null)));
        assertEquals(BundleWatch.contentHash(good), BundleWatch.contentHash(good.clone()));
    }

    @Test
    void aLeasesAnswerIsUpdatedRefusedEndedOrNotYet() {
        assertNull(BundleWatch.outcomeOf(lease("ACTIVE", NEW, OLD, null), NEW), "on its way");
        assertEquals(BundleWatch.Outcome.UPDATED, BundleWatch.outcomeOf(lease("ACTIVE", NEW, NEW, null), NEW).outcome());
        BundleWatch.HostOutcome refused = BundleWatch.outcomeOf(lease("ACTIVE", NEW, OLD, "update refused: boom"), NEW);
        assertEquals(BundleWatch.Outcome.REFUSED, refused.outcome());
        assertEquals("update refused: boom", refused.detail());
        assertEquals("host-1", refused.hostId());
        assertNull(BundleWatch.outcomeOf(lease("ACTIVE", OLD, OLD, "an older refusal"), NEW),
                "a refusal of another bundle is not this update's");
        BundleWatch.HostOutcome ended = BundleWatch.outcomeOf(lease("EXPIRED", NEW, OLD, null), NEW);
        assertEquals(BundleWatch.Outcome.ENDED, ended.outcome());
        assertEquals("the lease is EXPIRED", ended.detail());
    }

    static ObjectNode lease(String state, String bundle, String running, String reason) {
        return ServerConnection.object().put("id", "lease-1").put("hostId", "host-1").put("state", state)
                .put("bundle", bundle).put("runningBundle", running).put("updateReason", reason);
    }

    static byte[] jar(String symbolicName) throws Exception {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().putValue("Manifest-Version", "1.0");
        if (symbolicName != null) {
            manifest.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
            out.putNextEntry(new JarEntry("org/example/app/readme.txt"));
            out.write("hello".repeat(200).getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        return bytes.toByteArray();
    }
}
