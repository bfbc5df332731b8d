/**
 * The provider's and the viewer's side of streaming media: {@link org.isos.apps.streaming.client.Publisher} cuts a
 * movie into time-ordered segments, erasure-codes each k-of-n over the leased hosts and writes a
 * {@link org.isos.apps.streaming.client.TitleManifest}; {@link org.isos.apps.streaming.client.Viewer} plays a title
 * back from many slow {@link org.isos.apps.streaming.client.SegmentHolder}s at once with a deadline-aware scheduler.
 */
@org.osgi.annotation.bundle.Export
@org.osgi.annotation.versioning.Version("1.1.0")
package org.isos.apps.streaming.client;
