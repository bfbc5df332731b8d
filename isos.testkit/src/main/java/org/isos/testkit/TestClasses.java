package org.isos.testkit;

import java.util.function.Consumer;

import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/** Class files generated with ASM, to put references into a bundle that a bytecode scan must see. */
public final class TestClasses {

    private TestClasses() {
    }

    /** The jar entry name of a class file: its internal name plus {@code .class}. */
    public static String entryName(byte[] classFile) {
        return new ClassReader(classFile).getClassName() + ".class";
    }

    /**
     * A public class with a no-argument constructor and {@code public void run()} whose body
     * {@code run} writes (the final RETURN is added). Straight-line bodies need no stack map frames.
     */
    public static byte[] appClass(String internalName, Consumer<MethodVisitor> run) {
        return appClass(internalName, "java/lang/Object", new String[0], run);
    }

    /** Like {@link #appClass(String, Consumer)} with a chosen superclass and interfaces. */
    public static byte[] appClass(String internalName, String superName, String[] interfaces,
            Consumer<MethodVisitor> run) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        writer.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, superName, interfaces);
        MethodVisitor init = writer.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, superName, "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();
        MethodVisitor method = writer.visitMethod(Opcodes.ACC_PUBLIC, "run", "()V", null, null);
        method.visitCode();
        run.accept(method);
        method.visitInsn(Opcodes.RETURN);
        method.visitMaxs(0, 0);
        method.visitEnd();
        writer.visitEnd();
        return writer.toByteArray();
    }

    /** An {@link #appClass(String, Consumer) app class} whose {@code run()} makes one {@link #call call}. */
    public static byte[] callingClass(String internalName, int opcode, String owner, String name, String desc) {
        return appClass(internalName, run -> call(run, opcode, owner, name, desc));
    }

    /** A class declaring {@code public native void call()}. */
    public static byte[] classWithNativeMethod(String internalName) {
        ClassWriter writer = new ClassWriter(ClassWriter.COMPUTE_MAXS);
        writer.visit(Opcodes.V17, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internalName, null, "java/lang/Object", null);
        writer.visitMethod(Opcodes.ACC_PUBLIC | Opcodes.ACC_NATIVE, "call", "()V", null, null).visitEnd();
        writer.visitEnd();
        return writer.toByteArray();
    }

    /**
     * Emits a well-typed reference to {@code owner.name desc}: a null receiver for instance methods, zero
     * or null for each argument, and a POP of the result, so the method stays verifiable. For constructors
     * ({@code <init>}) it emits NEW/DUP first; {@link Opcodes#NEW} alone (name and desc ignored) emits
     * NEW and a POP.
     */
    public static void call(MethodVisitor mv, int opcode, String owner, String name, String desc) {
        if (opcode == Opcodes.NEW) {
            mv.visitTypeInsn(Opcodes.NEW, owner);
            mv.visitInsn(Opcodes.POP);
            return;
        }
        if (name.equals("<init>")) {
            mv.visitTypeInsn(Opcodes.NEW, owner);
            mv.visitInsn(Opcodes.DUP);
        } else if (opcode != Opcodes.INVOKESTATIC) {
            mv.visitInsn(Opcodes.ACONST_NULL); // null passes the verifier as any receiver type
        }
        for (Type argument : Type.getArgumentTypes(desc)) {
            pushDefault(mv, argument);
        }
        mv.visitMethodInsn(opcode, owner, name, desc, opcode == Opcodes.INVOKEINTERFACE);
        Type result = name.equals("<init>") ? Type.getObjectType(owner) : Type.getReturnType(desc);
        if (result.getSize() == 2) {
            mv.visitInsn(Opcodes.POP2);
        } else if (result.getSize() == 1) {
            mv.visitInsn(Opcodes.POP);
        }
    }

    private static void pushDefault(MethodVisitor mv, Type type) {
        switch (type.getSort()) {
            case Type.LONG -> mv.visitInsn(Opcodes.LCONST_0);
            case Type.FLOAT -> mv.visitInsn(Opcodes.FCONST_0);
            case Type.DOUBLE -> mv.visitInsn(Opcodes.DCONST_0);
            case Type.OBJECT, Type.ARRAY -> mv.visitInsn(Opcodes.ACONST_NULL);
            default -> mv.visitInsn(Opcodes.ICONST_0);
        }
    }
}
