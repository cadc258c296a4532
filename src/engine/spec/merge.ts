// Docker's merge of the create Config with the image's config (moby daemon/commit.go merge, as
// daemon/create.go applies it). Pure.

import type { ImageRuntimeConfig } from '../../oci/index.js';
import type { ContainerConfig } from './types.js';

const envKey = (e: string): string => e.split('=')[0]!;

/** Docker's merge of create Config with the image config. Returns a new object; inputs are untouched. */
export function mergeImageConfig(config: ContainerConfig, image: ImageRuntimeConfig): ContainerConfig {
  const out: ContainerConfig = structuredClone(config);
  const img: ImageRuntimeConfig = structuredClone(image);
  if ((out.User ?? '') === '') out.User = img.User ?? '';
  if (out.ExposedPorts === undefined || out.ExposedPorts === null || Object.keys(out.ExposedPorts).length === 0) {
    if (img.ExposedPorts !== undefined) out.ExposedPorts = img.ExposedPorts;
  } else if (img.ExposedPorts !== undefined) {
    for (const port of Object.keys(img.ExposedPorts)) if (!(port in out.ExposedPorts)) out.ExposedPorts[port] = {};
  }
  if ((out.Env ?? []).length === 0) {
    if (img.Env !== undefined) out.Env = img.Env;
  } else {
    const env = out.Env!;
    const userKeys = env.map(envKey);
    for (const e of img.Env ?? []) if (!userKeys.includes(envKey(e))) env.push(e);
  }
  out.Labels ??= {};
  for (const [k, v] of Object.entries(img.Labels ?? {})) if (!(k in out.Labels)) out.Labels[k] = v;
  if ((out.Entrypoint ?? []).length === 0) {
    if ((out.Cmd ?? []).length === 0) {
      out.Cmd = img.Cmd ?? null;
      if (img.ArgsEscaped !== undefined) out.ArgsEscaped = img.ArgsEscaped;
    }
    if (out.Entrypoint === undefined || out.Entrypoint === null) out.Entrypoint = img.Entrypoint ?? null;
  }
  if (img.Healthcheck !== undefined && img.Healthcheck !== null) {
    const ih = img.Healthcheck;
    if (out.Healthcheck === undefined || out.Healthcheck === null) out.Healthcheck = ih;
    else {
      const h = out.Healthcheck;
      if ((h.Test ?? []).length === 0) h.Test = ih.Test ?? null;
      if ((h.Interval ?? 0) === 0 && ih.Interval !== undefined) h.Interval = ih.Interval;
      if ((h.Timeout ?? 0) === 0 && ih.Timeout !== undefined) h.Timeout = ih.Timeout;
      if ((h.StartPeriod ?? 0) === 0 && ih.StartPeriod !== undefined) h.StartPeriod = ih.StartPeriod;
      if ((h.StartInterval ?? 0) === 0 && ih.StartInterval !== undefined) h.StartInterval = ih.StartInterval;
      if ((h.Retries ?? 0) === 0 && ih.Retries !== undefined) h.Retries = ih.Retries;
    }
  }
  if ((out.WorkingDir ?? '') === '') out.WorkingDir = img.WorkingDir ?? '';
  if (out.Volumes === undefined || out.Volumes === null || Object.keys(out.Volumes).length === 0) {
    if (img.Volumes !== undefined) out.Volumes = img.Volumes;
  } else {
    for (const [k, v] of Object.entries(img.Volumes ?? {})) out.Volumes[k] = v;
  }
  if ((out.StopSignal ?? '') === '') out.StopSignal = img.StopSignal ?? '';
  return out;
}

/** Path and args of the container's process (moby getEntrypointAndArgs); an Entrypoint of [""] is no entrypoint. */
export function entrypointAndArgs(config: ContainerConfig): string[] {
  let ep = config.Entrypoint ?? [];
  if (ep.length === 1 && ep[0] === '') ep = [];
  return [...ep, ...(config.Cmd ?? [])];
}
