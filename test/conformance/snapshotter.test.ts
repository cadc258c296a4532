// The snapshotter suite against both drivers (root: it mounts).
import { snapshotterSuite } from '../../src/snapshot/testsuite.js';
import { OverlaySnapshotter, CopySnapshotter } from '../../src/snapshot/index.js';

snapshotterSuite('overlay', (root) => OverlaySnapshotter.open(root));
snapshotterSuite('copy', (root) => CopySnapshotter.open(root));
