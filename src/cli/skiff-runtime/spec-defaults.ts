// The default bundle config (`spec`), runc's defaults with Skiff's hostname, and `features`.

import type { Spec } from '../../oci/index.js';

const BASE: Spec = {
  'ociVersion': '1.0.2-dev',
  'process': {
    'terminal': true,
    'user': {
      'uid': 0,
      'gid': 0
    },
    'args': [
      'sh'
    ],
    'env': [
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'TERM=xterm'
    ],
    'cwd': '/',
    'capabilities': {
      'bounding': [
        'CAP_AUDIT_WRITE',
        'CAP_KILL',
        'CAP_NET_BIND_SERVICE'
      ],
      'effective': [
        'CAP_AUDIT_WRITE',
        'CAP_KILL',
        'CAP_NET_BIND_SERVICE'
      ],
      'permitted': [
        'CAP_AUDIT_WRITE',
        'CAP_KILL',
        'CAP_NET_BIND_SERVICE'
      ],
      'ambient': [
        'CAP_AUDIT_WRITE',
        'CAP_KILL',
        'CAP_NET_BIND_SERVICE'
      ]
    },
    'rlimits': [
      {
        'type': 'RLIMIT_NOFILE',
        'hard': 1024,
        'soft': 1024
      }
    ],
    'noNewPrivileges': true
  },
  'root': {
    'path': 'rootfs',
    'readonly': true
  },
  'hostname': 'skiff',
  'mounts': [
    {
      'destination': '/proc',
      'type': 'proc',
      'source': 'proc'
    },
    {
      'destination': '/dev',
      'type': 'tmpfs',
      'source': 'tmpfs',
      'options': [
        'nosuid',
        'strictatime',
        'mode=755',
        'size=65536k'
      ]
    },
    {
      'destination': '/dev/pts',
      'type': 'devpts',
      'source': 'devpts',
      'options': [
        'nosuid',
        'noexec',
        'newinstance',
        'ptmxmode=0666',
        'mode=0620',
        'gid=5'
      ]
    },
    {
      'destination': '/dev/shm',
      'type': 'tmpfs',
      'source': 'shm',
      'options': [
        'nosuid',
        'noexec',
        'nodev',
        'mode=1777',
        'size=65536k'
      ]
    },
    {
      'destination': '/dev/mqueue',
      'type': 'mqueue',
      'source': 'mqueue',
      'options': [
        'nosuid',
        'noexec',
        'nodev'
      ]
    },
    {
      'destination': '/sys',
      'type': 'sysfs',
      'source': 'sysfs',
      'options': [
        'nosuid',
        'noexec',
        'nodev',
        'ro'
      ]
    },
    {
      'destination': '/sys/fs/cgroup',
      'type': 'cgroup',
      'source': 'cgroup',
      'options': [
        'nosuid',
        'noexec',
        'nodev',
        'relatime',
        'ro'
      ]
    }
  ],
  'linux': {
    'resources': {
      'devices': [
        {
          'allow': false,
          'access': 'rwm'
        }
      ]
    },
    'namespaces': [
      {
        'type': 'pid'
      },
      {
        'type': 'network'
      },
      {
        'type': 'ipc'
      },
      {
        'type': 'uts'
      },
      {
        'type': 'mount'
      }
    ],
    'maskedPaths': [
      '/proc/acpi',
      '/proc/asound',
      '/proc/kcore',
      '/proc/keys',
      '/proc/latency_stats',
      '/proc/timer_list',
      '/proc/timer_stats',
      '/proc/sched_debug',
      '/sys/firmware',
      '/proc/scsi'
    ],
    'readonlyPaths': [
      '/proc/bus',
      '/proc/fs',
      '/proc/irq',
      '/proc/sys',
      '/proc/sysrq-trigger'
    ]
  }
};

/** A fresh copy each call; `rootless` maps the caller's ids as runc spec --rootless does. */
export function defaultSpec(rootless: boolean): Spec {
  const spec = structuredClone(BASE);
  if (rootless) {
    const uid = process.getuid?.() ?? 0;
    const gid = process.getgid?.() ?? 0;
    spec.linux = {
      ...spec.linux,
      uidMappings: [{ containerID: 0, hostID: uid, size: 1 }],
      gidMappings: [{ containerID: 0, hostID: gid, size: 1 }],
      namespaces: [...(spec.linux?.namespaces ?? []).filter((n) => n.type !== 'network'), { type: 'user' }],
    };
    delete spec.linux.resources;
    spec.mounts = (spec.mounts ?? []).filter((m) => m.destination !== '/sys/fs/cgroup');
  }
  return spec;
}

export function features(): unknown {
  return {
    ociVersionMin: '1.0.0',
    ociVersionMax: '1.2.0',
    hooks: ['prestart', 'createRuntime', 'createContainer', 'startContainer', 'poststart', 'poststop'],
    mountOptions: [
      'async', 'atime', 'bind', 'defaults', 'dev', 'diratime', 'dirsync', 'exec', 'mand', 'noatime', 'nodev', 'nodiratime',
      'noexec', 'nomand', 'norelatime', 'nostrictatime', 'nosuid', 'private', 'rbind', 'relatime', 'remount', 'ro',
      'rprivate', 'rshared', 'rslave', 'runbindable', 'rw', 'shared', 'slave', 'strictatime', 'suid', 'sync', 'unbindable',
    ],
    linux: {
      namespaces: ['cgroup', 'ipc', 'mount', 'network', 'pid', 'user', 'uts'],
      capabilities: [
        'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL', 'CAP_SETGID', 'CAP_SETUID',
        'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE', 'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW',
        'CAP_IPC_LOCK', 'CAP_IPC_OWNER', 'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
        'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME', 'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD',
        'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL', 'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG',
        'CAP_WAKE_ALARM', 'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
      ],
      cgroup: { v1: true, v2: true, systemd: false, systemdUser: false },
      seccomp: { enabled: false },
      apparmor: { enabled: false },
      selinux: { enabled: false },
    },
    annotations: { 'org.opencontainers.runtime-spec.features': 'skiff' },
  };
}
