// config.json as docker 28 (moby daemon/oci_linux.go + oci/defaults.go through containerd) and
// podman 4 (pkg/specgen/generate + containers/common) write them for an ordinary `run`, with every
// field they always send. The validator must accept both as they are.

/** docker run -it --memory 512m --pids-limit 100 busybox sh, on a host without AppArmor/SELinux. */
export function dockerSpec(): Record<string, unknown> {
  const caps = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID',
    'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
  ];
  const id = 'a'.repeat(64);
  return {
    ociVersion: '1.2.0',
    process: {
      terminal: true,
      consoleSize: { height: 24, width: 80 },
      user: { uid: 0, gid: 0, additionalGids: [0, 1, 2, 3, 4, 6, 10, 11, 20, 26, 27] },
      args: ['sh'],
      env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', `HOSTNAME=${id.slice(0, 12)}`, 'TERM=xterm'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      oomScoreAdj: 0,
    },
    root: { path: `/var/lib/docker/overlay2/${id}/merged` },
    hostname: id.slice(0, 12),
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['ro', 'nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev/shm', type: 'bind', source: `/var/lib/docker/containers/${id}/mounts/shm`, options: ['rbind', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: `/var/lib/docker/containers/${id}/resolv.conf`, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hostname', type: 'bind', source: `/var/lib/docker/containers/${id}/hostname`, options: ['rbind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: `/var/lib/docker/containers/${id}/hosts`, options: ['rbind', 'rprivate'] },
      { destination: '/data', type: 'bind', source: '/var/lib/docker/volumes/v/_data', options: ['rbind'] },
      { destination: '/run', type: 'tmpfs', source: 'tmpfs', options: ['noexec', 'nosuid', 'nodev', 'size=65536k'] },
      { destination: '/sbin/docker-init', type: 'bind', source: '/usr/bin/docker-init', options: ['bind', 'ro'] },
    ],
    hooks: {
      prestart: [{ path: '/proc/1234/exe', args: ['libnetwork-setkey', '-exec-root=/var/run/docker', id, 'abcdef123456'] }],
    },
    linux: {
      sysctl: { 'net.ipv4.ip_unprivileged_port_start': '0', 'net.ipv4.ping_group_range': '0 2147483647' },
      resources: {
        devices: [
          { allow: false, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 5, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 3, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 9, access: 'rwm' },
          { allow: true, type: 'c', major: 1, minor: 8, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 0, access: 'rwm' },
          { allow: true, type: 'c', major: 5, minor: 1, access: 'rwm' },
          { allow: false, type: 'c', major: 10, minor: 229, access: 'rwm' },
        ],
        memory: { limit: 536870912, swap: 1073741824, disableOOMKiller: false },
        cpu: { shares: 0 },
        pids: { limit: 100 },
        blockIO: { weight: 0 },
      },
      cgroupsPath: `system.slice:docker:${id}`,
      namespaces: [{ type: 'mount' }, { type: 'network' }, { type: 'uts' }, { type: 'pid' }, { type: 'ipc' }, { type: 'cgroup' }],
      seccomp: {
        defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1,
        architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32'],
        syscalls: [{ names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' }],
      },
      maskedPaths: [
        '/proc/asound', '/proc/acpi', '/proc/interrupts', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list',
        '/proc/timer_stats', '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
      ],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** podman run --rm -it fedora sh (rootful), on a host without AppArmor/SELinux. */
export function podmanSpec(): Record<string, unknown> {
  const caps = [
    'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_NET_BIND_SERVICE', 'CAP_SETFCAP',
    'CAP_SETGID', 'CAP_SETPCAP', 'CAP_SETUID', 'CAP_SYS_CHROOT',
  ];
  const id = 'b'.repeat(64);
  const userdata = `/var/lib/containers/storage/overlay-containers/${id}/userdata`;
  return {
    ociVersion: '1.1.0',
    process: {
      terminal: true,
      user: { uid: 0, gid: 0, umask: 18, additionalGids: [0] },
      args: ['sh'],
      env: ['container=podman', 'PATH=/usr/local/bin:/usr/bin', 'TERM=xterm', 'HOME=/root', 'HOSTNAME=bbbbbbbbbbbb'],
      cwd: '/',
      capabilities: { bounding: caps, effective: caps, permitted: caps },
      rlimits: [{ type: 'RLIMIT_NOFILE', hard: 1048576, soft: 1048576 }, { type: 'RLIMIT_NPROC', hard: 4194304, soft: 4194304 }],
      oomScoreAdj: 0,
    },
    root: { path: `/var/lib/containers/storage/overlay/${id}/merged` },
    hostname: 'bbbbbbbbbbbb',
    mounts: [
      { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
      { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
      { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
      { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
      { destination: '/etc/hostname', type: 'bind', source: `${userdata}/hostname`, options: ['bind', 'rprivate'] },
      { destination: '/run/.containerenv', type: 'bind', source: `${userdata}/.containerenv`, options: ['bind', 'rprivate'] },
      { destination: '/etc/resolv.conf', type: 'bind', source: `${userdata}/resolv.conf`, options: ['bind', 'rprivate'] },
      { destination: '/etc/hosts', type: 'bind', source: `${userdata}/hosts`, options: ['bind', 'rprivate'] },
      { destination: '/dev/shm', type: 'bind', source: `${userdata}/shm`, options: ['bind', 'rprivate'] },
      { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['rprivate', 'nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
      { destination: '/tmp', type: 'tmpfs', source: 'tmpfs', options: ['rw', 'rprivate', 'nosuid', 'nodev', 'tmpcopyup'] },
    ],
    annotations: {
      'io.container.manager': 'libpod',
      'io.podman.annotations.autoremove': 'TRUE',
      'org.opencontainers.image.stopSignal': '15',
      'org.systemd.property.KillSignal': '15',
      'org.systemd.property.TimeoutStopUSec': 'uint64 10000000',
    },
    linux: {
      sysctl: { 'net.ipv4.ping_group_range': '0 0' },
      resources: { devices: [{ allow: false, access: 'rwm' }], pids: { limit: 2048 } },
      cgroupsPath: `machine.slice:libpod:${id}`,
      namespaces: [
        { type: 'pid' }, { type: 'network', path: '/run/netns/netns-0b1c2d3e-aaaa-bbbb-cccc-ddddeeeeffff' }, { type: 'ipc' },
        { type: 'uts' }, { type: 'mount' }, { type: 'cgroup' },
      ],
      seccomp: { defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 38, architectures: ['SCMP_ARCH_X86_64'], syscalls: [] },
      maskedPaths: [
        '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
        '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/fs/selinux', '/sys/dev/block',
      ],
      readonlyPaths: ['/proc/asound', '/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  };
}

/** The fields either engine sends on every run; each must pass validation. */
export const ALWAYS_SENT = [
  'ociVersion', 'process.terminal', 'process.consoleSize', 'process.user.uid', 'process.user.gid',
  'process.user.umask', 'process.user.additionalGids', 'process.args', 'process.env', 'process.cwd',
  'process.capabilities.bounding', 'process.capabilities.effective', 'process.capabilities.permitted',
  'process.rlimits', 'process.oomScoreAdj', 'root.path', 'hostname', 'mounts', 'hooks.prestart', 'annotations',
  'linux.sysctl', 'linux.resources.devices', 'linux.resources.memory', 'linux.resources.cpu', 'linux.resources.pids',
  'linux.resources.blockIO', 'linux.cgroupsPath', 'linux.namespaces', 'linux.seccomp', 'linux.maskedPaths',
  'linux.readonlyPaths',
] as const;
