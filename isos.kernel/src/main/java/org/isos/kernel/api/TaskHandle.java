package org.isos.kernel.api;

import java.util.concurrent.CompletionStage;

import org.osgi.annotation.versioning.ProviderType;

/** A submitted task. */
@ProviderType
public interface TaskHandle {

    String name();

    TaskState state();

    /** Completes when the task ends: normally, exceptionally, or cancelled. */
    CompletionStage<Void> completion();

    /** Asks the task to stop; it does so at its next pause point. */
    void cancel();
}
