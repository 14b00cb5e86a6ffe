{{/* Base name for every object: the release name, with the chart name appended unless it already contains it. */}}
{{- define "loom.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "loom.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels; pass (dict "ctx" $ "component" "silo"). */}}
{{- define "loom.selectorLabels" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* Seconds as a .NET TimeSpan string (hh:mm:ss): a bare number would bind as days. */}}
{{- define "loom.timespan" -}}
{{- $s := int . -}}
{{- printf "%02d:%02d:%02d" (div $s 3600) (div (mod $s 3600) 60) (mod $s 60) -}}
{{- end -}}

{{- define "loom.image" -}}
{{- printf "%s:%s" .Values.image.repository (ternary .Values.image.gpuTag .Values.image.cpuTag .Values.gpu.enabled) -}}
{{- end -}}

{{- define "loom.modelsClaim" -}}
{{- default (printf "%s-models" (include "loom.fullname" .)) .Values.models.existingClaim -}}
{{- end -}}

{{/* Shards of one silo pod: one per GPU it is given, or cpuShards. */}}
{{- define "loom.shards" -}}
{{- ternary .Values.gpu.gpusPerPod .Values.cpuShards .Values.gpu.enabled | int -}}
{{- end -}}

{{/* Torch threads per shard: threadsPerShard, or the CPU limit ("4", "2500m") over the shards, at least 1; 0 without a limit. */}}
{{- define "loom.threadsPerShard" -}}
{{- $limit := toString (default "" .Values.resources.limits.cpu) -}}
{{- if gt (int .Values.threadsPerShard) 0 -}}
{{- int .Values.threadsPerShard -}}
{{- else if $limit -}}
{{- $cores := ternary (divf (float64 (trimSuffix "m" $limit)) 1000) (float64 $limit) (hasSuffix "m" $limit) -}}
{{- max 1 (int (floor (divf $cores (int (include "loom.shards" .))))) -}}
{{- else -}}
0
{{- end -}}
{{- end -}}

{{/* Refuse settings under which a silo would be killed in the middle of its drain. */}}
{{- define "loom.checkDrain" -}}
{{- $need := add (int .Values.drain.preStopSeconds) (int .Values.drain.timeoutSeconds) -}}
{{- if lt (int .Values.drain.terminationGracePeriodSeconds) (int $need) -}}
{{- fail (printf "drain.terminationGracePeriodSeconds (%v) must be at least drain.preStopSeconds + drain.timeoutSeconds (%v)" .Values.drain.terminationGracePeriodSeconds $need) -}}
{{- end -}}
{{- if lt (int .Values.drain.timeoutSeconds) (int .Values.evaluationTimeoutSeconds) -}}
{{- fail "drain.timeoutSeconds must be at least evaluationTimeoutSeconds: in-flight evaluations are let finish" -}}
{{- end -}}
{{- if not .Values.apiKeys.secretKeys -}}
{{- fail "apiKeys.secretKeys needs at least one key: without keys the API listens on loopback only and probes fail" -}}
{{- end -}}
{{- end -}}

{{/* The result store's settings: a known store, and a bucket for s3. */}}
{{- define "loom.checkResults" -}}
{{- if not (has .Values.results.store (list "files" "s3")) -}}
{{- fail (printf "results.store must be files or s3; got %q" .Values.results.store) -}}
{{- end -}}
{{- if and (eq .Values.results.store "s3") (empty .Values.results.s3.bucket) -}}
{{- fail "results.store is s3 but results.s3.bucket is empty: name an existing bucket" -}}
{{- end -}}
{{- if lt (int .Values.results.retentionHours) 0 -}}
{{- fail "results.retentionHours must be 0 (keep for ever) or more" -}}
{{- end -}}
{{- end -}}
