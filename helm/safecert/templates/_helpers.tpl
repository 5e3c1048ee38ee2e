{{/*
Names and labels.
*/}}
{{- define "safecert.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "safecert.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* A name derived from the full name, e.g. "<fullname>-tenants", kept within 63 characters. */}}
{{- define "safecert.childName" -}}
{{- $suffix := printf "-%s" .suffix }}
{{- printf "%s%s" (include "safecert.fullname" .root | trunc (int (sub 63 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{- define "safecert.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every resource, without a component. */}}
{{- define "safecert.commonLabels" -}}
helm.sh/chart: {{ include "safecert.chart" . }}
app.kubernetes.io/name: {{ include "safecert.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | toString | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: safecert
{{- end }}

{{/* Selects the serving pods only (not the migration Job's pod). */}}
{{- define "safecert.selectorLabels" -}}
app.kubernetes.io/name: {{ include "safecert.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: server
{{- end }}

{{/* Labels of the serving resources. */}}
{{- define "safecert.labels" -}}
{{ include "safecert.commonLabels" . }}
app.kubernetes.io/component: server
{{- end }}

{{- define "safecert.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion | toString) }}
{{- end }}
{{- end }}

{{/* The Secret holding the database URL, the Redis URL and the key file. */}}
{{- define "safecert.secretName" -}}
{{- if .Values.secret.existingSecret }}
{{- .Values.secret.existingSecret }}
{{- else }}
{{- include "safecert.fullname" . }}
{{- end }}
{{- end }}

{{/* "true" or "false" for SAFECERT_TRUST_FORWARDED_FOR; empty follows ingress.enabled. */}}
{{- define "safecert.trustForwardedFor" -}}
{{- $v := .Values.config.trustForwardedFor }}
{{- if kindIs "bool" $v }}
{{- ternary "true" "false" $v }}
{{- else if eq (toString $v | lower) "true" }}true
{{- else if eq (toString $v | lower) "false" }}false
{{- else if or (kindIs "invalid" $v) (eq (toString $v) "") }}
{{- ternary "true" "false" (.Values.ingress.enabled | default false) }}
{{- else }}
{{- fail (printf "config.trustForwardedFor must be true, false or empty, not %q" (toString $v)) }}
{{- end }}
{{- end }}

{{/*
The files of one configuration folder, as YAML mapping ConfigMap key ->
path inside the folder. Call with (dict "root" $ "dir" "tenants").

ConfigMap keys may not contain "/", so gd/tenant.toml becomes the key
gd__tenant.toml; the volume's items map every key back to its path, so the
pod sees the same tree as the repository.
*/}}
{{- define "safecert.configFileMap" -}}
{{- $prefix := printf "files/%s/" .dir }}
{{- $out := dict }}
{{- range $path, $_ := .root.Files.Glob (printf "%s**" $prefix) }}
{{- $rel := trimPrefix $prefix $path }}
{{- $key := $rel | replace "/" "__" }}
{{- if not (regexMatch "^[-._a-zA-Z0-9]+$" $key) }}
{{- fail (printf "%s: ConfigMap keys may only hold letters, digits, '-', '_' and '.'; rename the file or leave it out with .helmignore" $path) }}
{{- end }}
{{- if gt (len $key) 253 }}
{{- fail (printf "%s: the path is too long for a ConfigMap key (253 characters at most)" $path) }}
{{- end }}
{{- if hasKey $out $key }}
{{- fail (printf "%s and %s both map to the ConfigMap key %s; rename one" (index $out $key) $rel $key) }}
{{- end }}
{{- $_ := set $out $key $rel }}
{{- end }}
{{- toYaml $out }}
{{- end }}

{{/*
A ConfigMap with the files of one configuration folder.
Call with (dict "root" $ "dir" "tenants" "name" "..." "annotations" (dict ...)).
*/}}
{{- define "safecert.configMap" -}}
{{- $root := .root }}
{{- $dir := .dir }}
{{- $files := include "safecert.configFileMap" (dict "root" $root "dir" $dir) | fromYaml }}
{{- $data := dict }}
{{- $size := 0 }}
{{- range $key, $rel := $files }}
{{- $content := $root.Files.Get (printf "files/%s/%s" $dir $rel) }}
{{- $_ := set $data $key $content }}
{{- $size = add $size (len $key) (len $content) }}
{{- end }}
{{- if gt (int64 $size) 1048576 }}
{{- fail (printf "the %s ConfigMap would hold %d bytes; Kubernetes allows 1 MiB (1048576 bytes). Split the folder or ship it in the image." $dir (int64 $size)) }}
{{- end }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  namespace: {{ $root.Release.Namespace }}
  labels:
    {{- include "safecert.commonLabels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ $dir }}
  {{- with .annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- if $data }}
data:
  {{- toYaml $data | nindent 2 }}
{{- else }}
# files/{{ $dir }}/ is empty: run helm/sync-files.sh before installing.
data: {}
{{- end }}
{{- end }}

{{/* The configuration folders mounted into the pod, in mount order. */}}
{{- define "safecert.configDirs" -}}
- tenants
- locales
- policies
{{- end }}

{{/*
Environment shared by the service and the migration.
Call with (dict "root" $ "secretName" "...").
*/}}
{{- define "safecert.env" -}}
{{- $root := .root }}
{{- $v := $root.Values }}
- name: SAFECERT_LISTEN
  value: {{ printf "0.0.0.0:%d" (int $v.containerPort) | quote }}
- name: SAFECERT_DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $v.secret.keys.databaseUrl }}
- name: SAFECERT_REDIS_URL
  valueFrom:
    secretKeyRef:
      name: {{ .secretName }}
      key: {{ $v.secret.keys.redisUrl }}
      optional: true
- name: SAFECERT_KEY_FILE
  value: {{ printf "%s/%s" (trimSuffix "/" $v.secret.keyFileDir) $v.secret.keys.fieldKeys | quote }}
- name: SAFECERT_TENANTS_DIR
  value: {{ printf "%s/tenants" (trimSuffix "/" $v.configFiles.mountPath) | quote }}
- name: SAFECERT_LOCALES_DIR
  value: {{ printf "%s/locales" (trimSuffix "/" $v.configFiles.mountPath) | quote }}
- name: SAFECERT_POLICIES_DIR
  value: {{ printf "%s/policies" (trimSuffix "/" $v.configFiles.mountPath) | quote }}
- name: SAFECERT_DB_MAX_CONNECTIONS
  value: {{ $v.config.dbMaxConnections | int | toString | quote }}
- name: SAFECERT_VERIFY_RATE_PER_MINUTE
  value: {{ $v.config.verifyRatePerMinute | int | toString | quote }}
- name: SAFECERT_VERIFY_BURST
  value: {{ $v.config.verifyBurst | int | toString | quote }}
- name: SAFECERT_TRUST_FORWARDED_FOR
  value: {{ include "safecert.trustForwardedFor" $root | quote }}
- name: SAFECERT_LOG
  value: {{ $v.config.log | toString | quote }}
- name: SAFECERT_LOG_FORMAT
  value: {{ $v.config.logFormat | toString | quote }}
{{- $publicUrl := $v.config.publicUrl }}
{{- if and (not $publicUrl) $v.ingress.enabled $v.ingress.hosts }}
{{- $publicUrl = printf "https://%s" (index $v.ingress.hosts 0).host }}
{{- end }}
{{- with $publicUrl }}
- name: SAFECERT_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
{{- with $v.config.pdfFont }}
- name: SAFECERT_PDF_FONT
  value: {{ . | quote }}
{{- end }}
{{- with $v.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{- define "safecert.volumeMounts" -}}
{{- $mount := trimSuffix "/" .Values.configFiles.mountPath }}
{{- range $dir := include "safecert.configDirs" . | fromYamlArray }}
- name: {{ $dir }}
  mountPath: {{ printf "%s/%s" $mount $dir }}
  readOnly: true
{{- end }}
- name: keys
  mountPath: {{ .Values.secret.keyFileDir }}
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- end }}

{{/*
Pod volumes. Call with (dict "root" $ "secretName" "..." "configMapSuffix" "" | "migrate-").
*/}}
{{- define "safecert.volumes" -}}
{{- $root := .root }}
{{- $suffix := .configMapSuffix | default "" }}
{{- range $dir := include "safecert.configDirs" $root | fromYamlArray }}
{{- $files := include "safecert.configFileMap" (dict "root" $root "dir" $dir) | fromYaml }}
- name: {{ $dir }}
  configMap:
    name: {{ include "safecert.childName" (dict "root" $root "suffix" (printf "%s%s" $suffix $dir)) }}
    {{- if $files }}
    items:
      {{- range $key, $rel := $files }}
      - key: {{ $key | quote }}
        path: {{ $rel | quote }}
      {{- end }}
    {{- end }}
{{- end }}
- name: keys
  secret:
    secretName: {{ .secretName }}
    defaultMode: 0440
    items:
      - key: {{ $root.Values.secret.keys.fieldKeys }}
        path: {{ $root.Values.secret.keys.fieldKeys }}
- name: tmp
  emptyDir:
    sizeLimit: {{ $root.Values.tmpSizeLimit }}
{{- end }}

{{/* Pod-level settings shared by the Deployment and the migration Job. */}}
{{- define "safecert.podSpecCommon" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.serviceAccountName }}
serviceAccountName: {{ . }}
{{- end }}
automountServiceAccountToken: false
enableServiceLinks: false
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/*
Worst-case PostgreSQL connections of the release: pods at the peak of a
rollout (or at the autoscaler's maximum plus surge) times
config.dbMaxConnections plus the four each pod opens beside them (three
for background work, one while migrations run). Renders "<pods>
<connections>".
*/}}
{{- define "safecert.connectionBudget" -}}
{{- $v := .Values }}
{{- $pods := int $v.replicaCount }}
{{- if $v.autoscaling.enabled }}
{{- $pods = int $v.autoscaling.maxReplicas }}
{{- end }}
{{- $surge := 0 }}
{{- if eq (toString ($v.strategy.type | default "RollingUpdate")) "RollingUpdate" }}
{{- $s := 1 }}
{{- if and $v.strategy.rollingUpdate (hasKey $v.strategy.rollingUpdate "maxSurge") }}
{{- $s = $v.strategy.rollingUpdate.maxSurge }}
{{- else }}
{{- $s = "25%" }}
{{- end }}
{{- if and (kindIs "string" $s) (hasSuffix "%" $s) }}
{{- $pct := trimSuffix "%" $s | int }}
{{- $surge = div (add (mul $pods $pct) 99) 100 }}
{{- else }}
{{- $surge = int $s }}
{{- end }}
{{- end }}
{{- $peak := add $pods $surge }}
{{- printf "%d %d" (int $peak) (int (mul $peak (add (int $v.config.dbMaxConnections) 4))) }}
{{- end }}

{{/* Fails rendering when the connection bound would reach PostgreSQL's max_connections. */}}
{{- define "safecert.checkConnections" -}}
{{- $v := .Values }}
{{- if lt (int $v.config.dbMaxConnections) 1 }}
{{- fail "config.dbMaxConnections must be at least 1" }}
{{- end }}
{{- $server := int ($v.database.serverMaxConnections | default 0) }}
{{- if gt $server 0 }}
{{- $budget := include "safecert.connectionBudget" . | splitList " " }}
{{- $peak := index $budget 0 | int }}
{{- $conns := index $budget 1 | int }}
{{- $reserved := int ($v.database.reservedConnections | default 0) }}
{{- if ge (add $conns $reserved) $server }}
{{- fail (printf "up to %d pods x (config.dbMaxConnections=%d + 4) = %d connections, plus %d reserved, reach database.serverMaxConnections=%d. Lower config.dbMaxConnections or the replica count, or raise PostgreSQL's max_connections." $peak (int $v.config.dbMaxConnections) $conns $reserved $server) }}
{{- end }}
{{- end }}
{{- end }}
