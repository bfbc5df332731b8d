package org.isos.kernel.internal;

import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import org.isos.kernel.api.Communication;
import org.isos.kernel.api.Peer;
import org.isos.kernel.api.TaskCancelledException;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ServiceScope;

/** {@link Communication} for one app, over the kernel's transport, metered and paced per lease. */
@Component(scope = ServiceScope.BUNDLE)
@SuppressWarnings("removal")
public class LeaseCommunication implements Communication {

    private final Tenant tenant;
    private final Transport transport;
    private final WorkerPool pool;

    @Activate
    public LeaseCommunication(ComponentContext context, @Reference Tenancy tenancy, @Reference Transport transport,
            @Reference WorkerPool pool) {
        this.tenant = tenancy.of(context.getUsingBundle());
        this.transport = transport;
        this.pool = pool;
    }

    @Override
    public String hostId() {
        return transport.hostId();
    }

    @Override
    public CompletionStage<Void> send(Peer to, byte[] message) {
        if (to == null || message == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("send needs a peer and a message"));
        }
        try {
            pool.pausePointOfCaller();
        } catch (TaskCancelledException e) {
            return CompletableFuture.failedFuture(e);
        }
        return java.security.AccessController.doPrivileged(
                (java.security.PrivilegedAction<CompletionStage<Void>>) () -> transport.send(tenant, to, message));
    }

    @Override
    public OutputStream openStream(Peer to, String channel) {
        if (to == null || channel == null || channel.isBlank()) {
            throw new IllegalArgumentException("a stream needs a peer and a channel name");
        }
        return java.security.AccessController.doPrivileged(
                (java.security.PrivilegedAction<OutputStream>) () -> transport.openStream(tenant, to, channel));
    }

    @Override
    public void listen(MessageListener listener) {
        tenant.messageListener = listener;
    }
}
