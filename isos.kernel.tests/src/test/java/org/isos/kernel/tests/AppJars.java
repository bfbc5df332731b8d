package org.isos.kernel.tests;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.CertPath;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.Map;
import java.util.function.Consumer;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarInputStream;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

import jdk.security.jarsigner.JarSigner;

/** Derives test bundles from the signed test apps: re-signed, unsigned, altered, tampered. */
final class AppJars {

    private final TestWorld world;

    AppJars(TestWorld world) {
        this.world = world;
    }

    /** The jar without its signature, manifest edited by {@code edit}, plus {@code extra} entries. */
    static byte[] unsigned(byte[] jar, Consumer<Attributes> edit, Map<String, byte[]> extra) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarInputStream in = new JarInputStream(new ByteArrayInputStream(jar))) {
            Manifest manifest = new Manifest();
            manifest.getMainAttributes().putAll(in.getManifest().getMainAttributes());
            edit.accept(manifest.getMainAttributes());
            try (JarOutputStream out = new JarOutputStream(bytes, manifest)) {
                JarEntry entry;
                while ((entry = in.getNextJarEntry()) != null) {
                    String name = entry.getName();
                    if (name.startsWith("META-INF/") && name.matches("META-INF/[^/]+\\.(SF|EC|RSA|DSA)")) {
                        continue;
                    }
                    out.putNextEntry(new JarEntry(name));
                    in.transferTo(out);
                    out.closeEntry();
                }
                for (Map.Entry<String, byte[]> e : extra.entrySet()) {
                    out.putNextEntry(new JarEntry(e.getKey()));
                    out.write(e.getValue());
                    out.closeEntry();
                }
            }
        }
        return bytes.toByteArray();
    }

    static byte[] unsigned(byte[] jar) throws IOException {
        return unsigned(jar, a -> {
        }, Map.of());
    }

    /** Signs like the JDK's jarsigner does, with the key of {@code signer} from the test PKI. */
    byte[] sign(byte[] jar, String signer) throws Exception {
        KeyStore ks = world.keyStore(signer);
        PrivateKey key = (PrivateKey) ks.getKey(signer, TestWorld.PASSWORD.toCharArray());
        Certificate[] chain = ks.getCertificateChain(signer);
        CertPath path = CertificateFactory.getInstance("X.509").generateCertPath(Arrays.asList(chain));
        Path unsignedFile = Files.createTempFile(world.root, "unsigned", ".jar");
        Files.write(unsignedFile, jar);
        ByteArrayOutputStream signed = new ByteArrayOutputStream();
        try (ZipFile zip = new ZipFile(unsignedFile.toFile()); OutputStream out = signed) {
            new JarSigner.Builder(key, path).build().sign(zip, out);
        }
        return signed.toByteArray();
    }

    /** Flips one byte of the first class after signing: the signature no longer matches. */
    static byte[] tampered(byte[] signedJar) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        boolean done = false;
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(signedJar));
                ZipOutputStream out = new ZipOutputStream(bytes)) {
            ZipEntry entry;
            while ((entry = in.getNextEntry()) != null) {
                byte[] content = in.readAllBytes();
                if (!done && entry.getName().endsWith(".class")) {
                    content[content.length - 1] ^= 0x01;
                    done = true;
                }
                out.putNextEntry(new ZipEntry(entry.getName()));
                out.write(content);
                out.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    /** A class whose one method calls {@code owner.name desc} — a reference the bytecode scan must see. */
    static byte[] callingClass(String internalName, int opcode, String owner, String name, String desc) {
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_MAXS | ClassWriter.COMPUTE_FRAMES);
        cw.visit(Opcodes.V17, Opcodes.ACC_PUBLIC, internalName, null, "java/lang/Object", null);
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_STATIC, "run", "()V", null, null);
        mv.visitCode();
        if (opcode == Opcodes.NEW) {
            mv.visitTypeInsn(Opcodes.NEW, owner);
            mv.visitInsn(Opcodes.POP);
        } else {
            if (opcode != Opcodes.INVOKESTATIC) {
                mv.visitInsn(Opcodes.ACONST_NULL);
            }
            for (Type arg : Type.getArgumentTypes(desc)) {
                mv.visitInsn(switch (arg.getSort()) {
                case Type.LONG -> Opcodes.LCONST_0;
                case Type.FLOAT -> Opcodes.FCONST_0;
                case Type.DOUBLE -> Opcodes.DCONST_0;
                case Type.OBJECT, Type.ARRAY -> Opcodes.ACONST_NULL;
                default -> Opcodes.ICONST_0;
                });
            }
            mv.visitMethodInsn(opcode, owner, name, desc, false);
            int returned = Type.getReturnType(desc).getSize();
            if (returned > 0) {
                mv.visitInsn(returned == 2 ? Opcodes.POP2 : Opcodes.POP);
            }
        }
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
        cw.visitEnd();
        return cw.toByteArray();
    }
}
