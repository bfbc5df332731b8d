package org.isos.admission;

import static org.isos.admission.Rule.FORBIDDEN_CLASSLOADERS;
import static org.isos.admission.Rule.FORBIDDEN_EXIT;
import static org.isos.admission.Rule.FORBIDDEN_FILES;
import static org.isos.admission.Rule.FORBIDDEN_FRAMEWORK_ADMIN;
import static org.isos.admission.Rule.FORBIDDEN_NATIVE;
import static org.isos.admission.Rule.FORBIDDEN_PROCESSES;
import static org.isos.admission.Rule.FORBIDDEN_REFLECTION;
import static org.isos.admission.Rule.FORBIDDEN_SOCKETS;
import static org.isos.admission.Rule.FORBIDDEN_THREADS;
import static org.isos.admission.Rule.FORBIDDEN_UNSAFE;
import static org.isos.admission.TestBundles.pki;
import static org.isos.admission.TestBundles.sign;
import static org.isos.testkit.TestClasses.appClass;
import static org.isos.testkit.TestClasses.call;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.objectweb.asm.Opcodes.H_INVOKESTATIC;
import static org.objectweb.asm.Opcodes.INVOKEINTERFACE;
import static org.objectweb.asm.Opcodes.INVOKESPECIAL;
import static org.objectweb.asm.Opcodes.INVOKESTATIC;
import static org.objectweb.asm.Opcodes.INVOKEVIRTUAL;

import java.util.Arrays;
import java.util.function.Consumer;
import java.util.stream.Stream;

import org.isos.testkit.TestClasses;
import org.isos.testkit.TestJars;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.objectweb.asm.Handle;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/** The bytecode rules: each family refused through several of its APIs, and the everyday APIs admitted. */
class ForbiddenApiTest {

    private static final String APP = "org/acme/App";
    private static final String WHERE = APP + ".run()V ";
    private static final Handle LAMBDA_METAFACTORY = new Handle(H_INVOKESTATIC, "java/lang/invoke/LambdaMetafactory",
            "metafactory", "(Ljava/lang/invoke/MethodHandles$Lookup;Ljava/lang/String;Ljava/lang/invoke/MethodType;"
                    + "Ljava/lang/invoke/MethodType;Ljava/lang/invoke/MethodHandle;Ljava/lang/invoke/MethodType;)"
                    + "Ljava/lang/invoke/CallSite;",
            false);

    private static byte[] bundleWith(byte[]... classes) {
        TestBundles.BundleJar jar = BundleAdmissionTest.appHeaders();
        Arrays.stream(classes).forEach(jar::add);
        return sign(jar.build(), pki().buyerA());
    }

    /** A case calling one API the way javac would; the expected detail names the call. */
    private static Arguments calls(Rule rule, int opcode, String owner, String name, String desc) {
        return Arguments.of(rule, owner + "." + name + desc, appClass(APP, run -> call(run, opcode, owner, name, desc)),
                WHERE + "calls " + owner + "." + name + desc);
    }

    private static Arguments body(Rule rule, String label, Consumer<MethodVisitor> run, String expectedDetail) {
        return Arguments.of(rule, label, appClass(APP, run), expectedDetail);
    }

    private static Arguments type(Rule rule, String label, byte[] classFile, String expectedDetail) {
        return Arguments.of(rule, label, classFile, expectedDetail);
    }

    static Stream<Arguments> forbidden() {
        return Stream.of(
                calls(FORBIDDEN_FILES, INVOKESPECIAL, "java/io/FileInputStream", "<init>", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_FILES, INVOKESPECIAL, "java/io/File", "<init>", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_FILES, INVOKESPECIAL, "java/io/FileWriter", "<init>", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_FILES, INVOKESPECIAL, "java/io/RandomAccessFile", "<init>",
                        "(Ljava/lang/String;Ljava/lang/String;)V"),
                calls(FORBIDDEN_FILES, INVOKESTATIC, "java/nio/file/Files", "readAllBytes", "(Ljava/nio/file/Path;)[B"),
                calls(FORBIDDEN_FILES, INVOKESTATIC, "java/nio/file/Paths", "get",
                        "(Ljava/lang/String;[Ljava/lang/String;)Ljava/nio/file/Path;"),
                calls(FORBIDDEN_FILES, INVOKESTATIC, "java/nio/channels/FileChannel", "open",
                        "(Ljava/nio/file/Path;[Ljava/nio/file/OpenOption;)Ljava/nio/channels/FileChannel;"),
                calls(FORBIDDEN_FILES, INVOKESPECIAL, "java/io/PrintStream", "<init>", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_FILES, INVOKESPECIAL, "java/util/zip/ZipFile", "<init>", "(Ljava/lang/String;)V"),
                body(FORBIDDEN_FILES, "FileDescriptor.out", run -> {
                    run.visitFieldInsn(Opcodes.GETSTATIC, "java/io/FileDescriptor", "out", "Ljava/io/FileDescriptor;");
                    run.visitInsn(Opcodes.POP);
                }, WHERE + "reads java/io/FileDescriptor.out"),
                body(FORBIDDEN_FILES, "Path.class constant", run -> {
                    run.visitLdcInsn(Type.getObjectType("java/nio/file/Path"));
                    run.visitInsn(Opcodes.POP);
                }, WHERE + "loads the class constant java/nio/file/Path"),
                body(FORBIDDEN_FILES, "Files::delete method reference", run -> {
                    run.visitInvokeDynamicInsn("accept", "()Ljava/util/function/Consumer;", LAMBDA_METAFACTORY,
                            Type.getType("(Ljava/lang/Object;)V"), new Handle(H_INVOKESTATIC, "java/nio/file/Files",
                                    "delete", "(Ljava/nio/file/Path;)V", false),
                            Type.getType("(Ljava/nio/file/Path;)V"));
                    run.visitInsn(Opcodes.POP);
                }, WHERE + "passes invokedynamic accept the method handle java/nio/file/Files.delete(Ljava/nio/file/Path;)V"),

                calls(FORBIDDEN_SOCKETS, INVOKESPECIAL, "java/net/Socket", "<init>", "(Ljava/lang/String;I)V"),
                calls(FORBIDDEN_SOCKETS, INVOKESPECIAL, "java/net/ServerSocket", "<init>", "(I)V"),
                calls(FORBIDDEN_SOCKETS, INVOKESPECIAL, "java/net/DatagramSocket", "<init>", "()V"),
                calls(FORBIDDEN_SOCKETS, INVOKEVIRTUAL, "java/net/URL", "openConnection", "()Ljava/net/URLConnection;"),
                calls(FORBIDDEN_SOCKETS, INVOKEVIRTUAL, "java/net/URL", "openStream", "()Ljava/io/InputStream;"),
                calls(FORBIDDEN_SOCKETS, INVOKESTATIC, "java/net/http/HttpClient", "newHttpClient",
                        "()Ljava/net/http/HttpClient;"),
                calls(FORBIDDEN_SOCKETS, INVOKESTATIC, "java/nio/channels/SocketChannel", "open",
                        "()Ljava/nio/channels/SocketChannel;"),
                calls(FORBIDDEN_SOCKETS, INVOKESTATIC, "javax/net/ssl/SSLSocketFactory", "getDefault",
                        "()Ljavax/net/SocketFactory;"),
                calls(FORBIDDEN_SOCKETS, INVOKESTATIC, "java/net/InetAddress", "getByName",
                        "(Ljava/lang/String;)Ljava/net/InetAddress;"),
                calls(FORBIDDEN_SOCKETS, INVOKESTATIC, "java/rmi/registry/LocateRegistry", "getRegistry",
                        "(I)Ljava/rmi/registry/Registry;"),
                calls(FORBIDDEN_SOCKETS, INVOKESTATIC, "com/sun/net/httpserver/HttpServer", "create",
                        "()Lcom/sun/net/httpserver/HttpServer;"),

                calls(FORBIDDEN_PROCESSES, INVOKESPECIAL, "java/lang/ProcessBuilder", "<init>", "([Ljava/lang/String;)V"),
                calls(FORBIDDEN_PROCESSES, INVOKEVIRTUAL, "java/lang/Runtime", "exec",
                        "(Ljava/lang/String;)Ljava/lang/Process;"),
                calls(FORBIDDEN_PROCESSES, INVOKESTATIC, "java/lang/ProcessHandle", "current",
                        "()Ljava/lang/ProcessHandle;"),
                calls(FORBIDDEN_PROCESSES, INVOKEVIRTUAL, "java/lang/Process", "destroy", "()V"),
                body(FORBIDDEN_PROCESSES, "ProcessBuilder.class constant", run -> {
                    run.visitLdcInsn(Type.getObjectType("java/lang/ProcessBuilder"));
                    run.visitInsn(Opcodes.POP);
                }, WHERE + "loads the class constant java/lang/ProcessBuilder"),

                calls(FORBIDDEN_EXIT, INVOKESTATIC, "java/lang/System", "exit", "(I)V"),
                calls(FORBIDDEN_EXIT, INVOKEVIRTUAL, "java/lang/Runtime", "exit", "(I)V"),
                calls(FORBIDDEN_EXIT, INVOKEVIRTUAL, "java/lang/Runtime", "halt", "(I)V"),
                calls(FORBIDDEN_EXIT, INVOKEVIRTUAL, "java/lang/Runtime", "addShutdownHook", "(Ljava/lang/Thread;)V"),
                calls(FORBIDDEN_EXIT, INVOKEVIRTUAL, "java/lang/Runtime", "removeShutdownHook", "(Ljava/lang/Thread;)Z"),

                calls(FORBIDDEN_CLASSLOADERS, INVOKESTATIC, "java/lang/ClassLoader", "getSystemClassLoader",
                        "()Ljava/lang/ClassLoader;"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKEVIRTUAL, "java/lang/Class", "getClassLoader",
                        "()Ljava/lang/ClassLoader;"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKESPECIAL, "java/net/URLClassLoader", "<init>", "([Ljava/net/URL;)V"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKEVIRTUAL, "java/lang/Thread", "setContextClassLoader",
                        "(Ljava/lang/ClassLoader;)V"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKEVIRTUAL, "java/lang/invoke/MethodHandles$Lookup", "defineClass",
                        "([B)Ljava/lang/Class;"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKEVIRTUAL, "java/lang/invoke/MethodHandles$Lookup",
                        "defineHiddenClass",
                        "([BZ[Ljava/lang/invoke/MethodHandles$Lookup$ClassOption;)Ljava/lang/invoke/MethodHandles$Lookup;"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKEINTERFACE, "java/lang/instrument/Instrumentation",
                        "redefineClasses", "([Ljava/lang/instrument/ClassDefinition;)V"),
                calls(FORBIDDEN_CLASSLOADERS, INVOKESTATIC, "java/util/ServiceLoader", "load",
                        "(Ljava/lang/Class;Ljava/lang/ClassLoader;)Ljava/util/ServiceLoader;"),
                type(FORBIDDEN_CLASSLOADERS, "extends ClassLoader",
                        appClass(APP, "java/lang/ClassLoader", new String[0], run -> {
                        }), APP + " extends java/lang/ClassLoader"),

                calls(FORBIDDEN_REFLECTION, INVOKEVIRTUAL, "java/lang/reflect/Field", "setAccessible", "(Z)V"),
                calls(FORBIDDEN_REFLECTION, INVOKEVIRTUAL, "java/lang/reflect/AccessibleObject", "setAccessible", "(Z)V"),
                calls(FORBIDDEN_REFLECTION, INVOKEVIRTUAL, "java/lang/reflect/Method", "trySetAccessible", "()Z"),
                calls(FORBIDDEN_REFLECTION, INVOKESTATIC, "java/lang/invoke/MethodHandles", "privateLookupIn",
                        "(Ljava/lang/Class;Ljava/lang/invoke/MethodHandles$Lookup;)Ljava/lang/invoke/MethodHandles$Lookup;"),
                calls(FORBIDDEN_REFLECTION, INVOKEVIRTUAL, "java/lang/Module", "addOpens",
                        "(Ljava/lang/String;Ljava/lang/Module;)Ljava/lang/Module;"),
                calls(FORBIDDEN_REFLECTION, INVOKESTATIC, "java/lang/Class", "forName",
                        "(Ljava/lang/String;ZLjava/lang/ClassLoader;)Ljava/lang/Class;"),
                calls(FORBIDDEN_REFLECTION, INVOKESTATIC, "jdk/internal/reflect/Reflection", "getCallerClass",
                        "()Ljava/lang/Class;"),
                calls(FORBIDDEN_REFLECTION, INVOKESTATIC, "sun/reflect/ReflectionFactory", "getReflectionFactory",
                        "()Lsun/reflect/ReflectionFactory;"),
                calls(FORBIDDEN_REFLECTION, INVOKESTATIC, "java/lang/management/ManagementFactory",
                        "getPlatformMBeanServer", "()Ljavax/management/MBeanServer;"),

                calls(FORBIDDEN_UNSAFE, INVOKESTATIC, "sun/misc/Unsafe", "getUnsafe", "()Lsun/misc/Unsafe;"),
                calls(FORBIDDEN_UNSAFE, INVOKESTATIC, "jdk/internal/misc/Unsafe", "getUnsafe",
                        "()Ljdk/internal/misc/Unsafe;"),
                calls(FORBIDDEN_UNSAFE, INVOKESPECIAL, "sun/misc/Signal", "<init>", "(Ljava/lang/String;)V"),
                body(FORBIDDEN_UNSAFE, "Unsafe.theUnsafe", run -> {
                    run.visitFieldInsn(Opcodes.GETSTATIC, "sun/misc/Unsafe", "theUnsafe", "Lsun/misc/Unsafe;");
                    run.visitInsn(Opcodes.POP);
                }, WHERE + "reads sun/misc/Unsafe.theUnsafe"),

                type(FORBIDDEN_NATIVE, "native method", TestClasses.classWithNativeMethod(APP),
                        APP + ".call()V is declared native"),
                calls(FORBIDDEN_NATIVE, INVOKESTATIC, "java/lang/System", "loadLibrary", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_NATIVE, INVOKESTATIC, "java/lang/System", "load", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_NATIVE, INVOKESTATIC, "java/lang/System", "mapLibraryName",
                        "(Ljava/lang/String;)Ljava/lang/String;"),
                calls(FORBIDDEN_NATIVE, INVOKEVIRTUAL, "java/lang/Runtime", "loadLibrary", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_NATIVE, INVOKESTATIC, "java/lang/foreign/Linker", "nativeLinker",
                        "()Ljava/lang/foreign/Linker;"),

                calls(FORBIDDEN_THREADS, INVOKESPECIAL, "java/lang/Thread", "<init>", "(Ljava/lang/Runnable;)V"),
                calls(FORBIDDEN_THREADS, INVOKEVIRTUAL, "java/lang/Thread", "start", "()V"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/lang/Thread", "ofVirtual",
                        "()Ljava/lang/Thread$Builder$OfVirtual;"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/lang/Thread", "startVirtualThread",
                        "(Ljava/lang/Runnable;)Ljava/lang/Thread;"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/util/concurrent/Executors", "newFixedThreadPool",
                        "(I)Ljava/util/concurrent/ExecutorService;"),
                calls(FORBIDDEN_THREADS, INVOKESPECIAL, "java/util/concurrent/ScheduledThreadPoolExecutor", "<init>",
                        "(I)V"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/util/concurrent/ForkJoinPool", "commonPool",
                        "()Ljava/util/concurrent/ForkJoinPool;"),
                calls(FORBIDDEN_THREADS, INVOKESPECIAL, "java/util/Timer", "<init>", "()V"),
                calls(FORBIDDEN_THREADS, INVOKESPECIAL, "java/lang/ThreadGroup", "<init>", "(Ljava/lang/String;)V"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/util/concurrent/CompletableFuture", "supplyAsync",
                        "(Ljava/util/function/Supplier;)Ljava/util/concurrent/CompletableFuture;"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/util/concurrent/CompletableFuture", "runAsync",
                        "(Ljava/lang/Runnable;Ljava/util/concurrent/Executor;)Ljava/util/concurrent/CompletableFuture;"),
                calls(FORBIDDEN_THREADS, INVOKEVIRTUAL, "java/util/concurrent/CompletableFuture", "thenApplyAsync",
                        "(Ljava/util/function/Function;)Ljava/util/concurrent/CompletableFuture;"),
                calls(FORBIDDEN_THREADS, INVOKEINTERFACE, "java/util/concurrent/CompletionStage", "thenAcceptAsync",
                        "(Ljava/util/function/Consumer;)Ljava/util/concurrent/CompletionStage;"),
                calls(FORBIDDEN_THREADS, INVOKEINTERFACE, "java/util/List", "parallelStream",
                        "()Ljava/util/stream/Stream;"),
                calls(FORBIDDEN_THREADS, INVOKEVIRTUAL, "org/acme/MyList", "parallelStream",
                        "()Ljava/util/stream/Stream;"),
                calls(FORBIDDEN_THREADS, INVOKEINTERFACE, "java/util/stream/IntStream", "parallel",
                        "()Ljava/util/stream/IntStream;"),
                calls(FORBIDDEN_THREADS, INVOKEINTERFACE, "java/util/stream/Stream", "parallel",
                        "()Ljava/util/stream/BaseStream;"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/util/Arrays", "parallelSort", "([I)V"),
                calls(FORBIDDEN_THREADS, INVOKESTATIC, "java/lang/ref/Cleaner", "create", "()Ljava/lang/ref/Cleaner;"),
                body(FORBIDDEN_THREADS, "StreamSupport.stream(s, true)", run -> {
                    run.visitInsn(Opcodes.ACONST_NULL);
                    run.visitInsn(Opcodes.ICONST_1);
                    run.visitMethodInsn(INVOKESTATIC, "java/util/stream/StreamSupport", "stream",
                            "(Ljava/util/Spliterator;Z)Ljava/util/stream/Stream;", false);
                    run.visitInsn(Opcodes.POP);
                }, WHERE + "calls java/util/stream/StreamSupport.stream(Ljava/util/Spliterator;Z)Ljava/util/stream/Stream;"
                        + " with a parallel flag that is not the constant false"),
                type(FORBIDDEN_THREADS, "extends Thread", appClass(APP, "java/lang/Thread", new String[0], run -> {
                }), APP + " extends java/lang/Thread"),
                type(FORBIDDEN_THREADS, "implements ThreadFactory", appClass(APP, "java/lang/Object",
                        new String[] { "java/util/concurrent/ThreadFactory" }, run -> {
                        }), APP + " implements java/util/concurrent/ThreadFactory"),

                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/framework/BundleContext", "installBundle",
                        "(Ljava/lang/String;)Lorg/osgi/framework/Bundle;"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/framework/Bundle", "start", "()V"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/framework/Bundle", "stop", "(I)V"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/framework/Bundle", "update", "()V"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/framework/Bundle", "uninstall", "()V"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/framework/launch/FrameworkFactory",
                        "newFramework", "(Ljava/util/Map;)Lorg/osgi/framework/launch/Framework;"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE,
                        "org/osgi/service/condpermadmin/ConditionalPermissionAdmin", "newConditionalPermissionUpdate",
                        "()Lorg/osgi/service/condpermadmin/ConditionalPermissionUpdate;"),
                calls(FORBIDDEN_FRAMEWORK_ADMIN, INVOKEINTERFACE, "org/osgi/service/permissionadmin/PermissionAdmin",
                        "setPermissions", "(Ljava/lang/String;[Lorg/osgi/service/permissionadmin/PermissionInfo;)V"),
                type(FORBIDDEN_FRAMEWORK_ADMIN, "implements a resolver hook", appClass(APP, "java/lang/Object",
                        new String[] { "org/osgi/framework/hooks/resolver/ResolverHookFactory" }, run -> {
                        }), APP + " implements org/osgi/framework/hooks/resolver/ResolverHookFactory"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("forbidden")
    void forbiddenApiIsRefused(Rule rule, String label, byte[] classFile, String expectedDetail) {
        byte[] jar = bundleWith(classFile);
        AdmissionRefused refusal = assertThrows(AdmissionRefused.class,
                () -> BundleAdmissionTest.ADMISSION.admit(jar, null, "buyer-a"));
        assertEquals(rule, refusal.rule(), refusal.getMessage());
        assertEquals(expectedDetail, refusal.detail());
    }

    @Test
    void messageNamesClassMethodAndApi() {
        byte[] jar = bundleWith(appClass(APP, run -> call(run, INVOKESPECIAL, "java/io/FileInputStream", "<init>",
                "(Ljava/lang/String;)V")));
        AdmissionRefused refusal = assertThrows(AdmissionRefused.class,
                () -> BundleAdmissionTest.ADMISSION.admit(jar, null, null));
        assertEquals("FORBIDDEN_FILES: org/acme/App.run()V calls java/io/FileInputStream.<init>(Ljava/lang/String;)V",
                refusal.getMessage());
    }

    @Test
    void classesInNestedJarsOnTheBundleClassPathAreScanned() {
        byte[] helper = TestJars.zip(java.util.Map.of("org/acme/Helper.class", appClass("org/acme/Helper",
                run -> call(run, INVOKESTATIC, "java/lang/System", "exit", "(I)V"))));
        byte[] jar = sign(BundleAdmissionTest.cleanApp().header("Bundle-ClassPath", ".,lib/helper.jar")
                .entry("lib/helper.jar", helper).build(), pki().buyerA());
        AdmissionRefused refusal = assertThrows(AdmissionRefused.class,
                () -> BundleAdmissionTest.ADMISSION.admit(jar, null, null));
        assertEquals("FORBIDDEN_EXIT: org/acme/Helper.run()V calls java/lang/System.exit(I)V"
                + " (in lib/helper.jar!/org/acme/Helper.class)", refusal.getMessage());
    }

    @Test
    void multiReleaseClassesAreScanned() {
        byte[] jar = sign(BundleAdmissionTest.cleanApp().header("Multi-Release", "true")
                .entry("META-INF/versions/17/org/acme/app/App.class", appClass("org/acme/app/App",
                        run -> call(run, INVOKESTATIC, "java/lang/Runtime", "getRuntime", "()Ljava/lang/Runtime;")))
                .entry("META-INF/versions/21/org/acme/app/App.class", appClass("org/acme/app/App",
                        run -> call(run, INVOKESTATIC, "java/lang/Thread", "ofVirtual",
                                "()Ljava/lang/Thread$Builder$OfVirtual;")))
                .build(), pki().buyerA());
        AdmissionRefused refusal = assertThrows(AdmissionRefused.class,
                () -> BundleAdmissionTest.ADMISSION.admit(jar, null, null));
        assertEquals(FORBIDDEN_THREADS, refusal.rule());
        assertTrue(refusal.detail().endsWith("(in META-INF/versions/21/org/acme/app/App.class)"), refusal.getMessage());
    }

    /** Everyday code that must not be caught by the rules. */
    static Stream<Arguments> allowed() {
        return Stream.of(
                Arguments.of("Class.forName(String) + getMethod + invoke", appClass(APP, run -> {
                    call(run, INVOKESTATIC, "java/lang/Class", "forName", "(Ljava/lang/String;)Ljava/lang/Class;");
                    call(run, INVOKEVIRTUAL, "java/lang/Class", "getMethod",
                            "(Ljava/lang/String;[Ljava/lang/Class;)Ljava/lang/reflect/Method;");
                    call(run, INVOKEVIRTUAL, "java/lang/reflect/Method", "invoke",
                            "(Ljava/lang/Object;[Ljava/lang/Object;)Ljava/lang/Object;");
                    call(run, INVOKEVIRTUAL, "java/lang/Class", "getDeclaredConstructors",
                            "()[Ljava/lang/reflect/Constructor;");
                })),
                Arguments.of("Thread.sleep/currentThread/interrupted/onSpinWait/interrupt", appClass(APP, run -> {
                    call(run, INVOKESTATIC, "java/lang/Thread", "sleep", "(J)V");
                    call(run, INVOKESTATIC, "java/lang/Thread", "currentThread", "()Ljava/lang/Thread;");
                    call(run, INVOKESTATIC, "java/lang/Thread", "interrupted", "()Z");
                    call(run, INVOKESTATIC, "java/lang/Thread", "onSpinWait", "()V");
                    call(run, INVOKEVIRTUAL, "java/lang/Thread", "interrupt", "()V");
                    call(run, INVOKEVIRTUAL, "java/lang/Thread", "getName", "()Ljava/lang/String;");
                })),
                Arguments.of("sequential streams", appClass(APP, run -> {
                    call(run, INVOKEINTERFACE, "java/util/List", "stream", "()Ljava/util/stream/Stream;");
                    call(run, INVOKEINTERFACE, "java/util/stream/Stream", "sequential", "()Ljava/util/stream/BaseStream;");
                    run.visitInsn(Opcodes.ACONST_NULL);
                    run.visitInsn(Opcodes.ICONST_0);
                    run.visitMethodInsn(INVOKESTATIC, "java/util/stream/StreamSupport", "stream",
                            "(Ljava/util/Spliterator;Z)Ljava/util/stream/Stream;", false);
                    run.visitInsn(Opcodes.POP);
                })),
                Arguments.of("CompletableFuture without Async", appClass(APP, run -> {
                    call(run, INVOKESTATIC, "java/util/concurrent/CompletableFuture", "completedFuture",
                            "(Ljava/lang/Object;)Ljava/util/concurrent/CompletableFuture;");
                    call(run, INVOKEVIRTUAL, "java/util/concurrent/CompletableFuture", "thenApply",
                            "(Ljava/util/function/Function;)Ljava/util/concurrent/CompletableFuture;");
                    call(run, INVOKEVIRTUAL, "java/util/concurrent/CompletableFuture", "join", "()Ljava/lang/Object;");
                })),
                Arguments.of("proxies, var handles and method handles", appClass(APP, run -> {
                    call(run, INVOKESTATIC, "java/lang/reflect/Proxy", "newProxyInstance",
                            "(Ljava/lang/ClassLoader;[Ljava/lang/Class;Ljava/lang/reflect/InvocationHandler;)Ljava/lang/Object;");
                    call(run, INVOKESTATIC, "java/lang/invoke/MethodHandles", "lookup",
                            "()Ljava/lang/invoke/MethodHandles$Lookup;");
                    call(run, INVOKEVIRTUAL, "java/lang/invoke/MethodHandles$Lookup", "findVarHandle",
                            "(Ljava/lang/Class;Ljava/lang/String;Ljava/lang/Class;)Ljava/lang/invoke/VarHandle;");
                })),
                Arguments.of("in-memory I/O, crypto and collections", appClass(APP, run -> {
                    call(run, INVOKESPECIAL, "java/io/ByteArrayInputStream", "<init>", "([B)V");
                    call(run, INVOKESPECIAL, "java/io/PrintStream", "<init>", "(Ljava/io/OutputStream;)V");
                    call(run, INVOKESTATIC, "javax/crypto/Cipher", "getInstance",
                            "(Ljava/lang/String;)Ljavax/crypto/Cipher;");
                    call(run, INVOKESPECIAL, "java/util/concurrent/ConcurrentHashMap", "<init>", "()V");
                    call(run, INVOKEVIRTUAL, "java/util/concurrent/ConcurrentHashMap", "forEach",
                            "(Ljava/util/function/BiConsumer;)V");
                    call(run, INVOKESTATIC, "java/lang/Runtime", "getRuntime", "()Ljava/lang/Runtime;");
                    call(run, INVOKEVIRTUAL, "java/lang/Runtime", "availableProcessors", "()I");
                    call(run, INVOKESTATIC, "java/lang/System", "nanoTime", "()J");
                })),
                Arguments.of("a lambda to an allowed method", appClass(APP, run -> {
                    run.visitInvokeDynamicInsn("applyAsInt", "()Ljava/util/function/IntBinaryOperator;",
                            LAMBDA_METAFACTORY, Type.getType("(II)I"),
                            new Handle(H_INVOKESTATIC, "java/lang/Math", "max", "(II)I", false), Type.getType("(II)I"));
                    run.visitInsn(Opcodes.POP);
                })),
                Arguments.of("services through the bundle context", appClass(APP, run -> {
                    call(run, INVOKEINTERFACE, "org/osgi/framework/BundleContext", "getServiceReference",
                            "(Ljava/lang/Class;)Lorg/osgi/framework/ServiceReference;");
                    call(run, INVOKEINTERFACE, "org/osgi/framework/BundleContext", "registerService",
                            "(Ljava/lang/Class;Ljava/lang/Object;Ljava/util/Dictionary;)Lorg/osgi/framework/ServiceRegistration;");
                    call(run, INVOKEINTERFACE, "org/osgi/framework/Bundle", "getSymbolicName", "()Ljava/lang/String;");
                })));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allowed")
    void everydayApiIsAdmitted(String label, byte[] classFile) throws AdmissionRefused {
        assertEquals("buyer-a", BundleAdmissionTest.ADMISSION.admit(bundleWith(classFile), null, "buyer-a").buyer());
    }
}
