-- Argo CD custom health check for linuximage.dev/LinuxImage (argocd-cm key
-- resource.customizations.health.linuximage.dev_LinuxImage; README "GitOps health").
-- Without it Argo CD shows a LinuxImage as Healthy as soon as it exists, even when its image failed.
--   Progressing: no status yet, a spec generation the operator has not observed, or Reconciling=True
--                (the Job waits or runs, a refusal is rechecked by the operator)
--   Degraded:    Stalled=True (a failure a retry cannot fix), or phase Failed (the user must act, e.g. apply the
--                missing claim, even if the operator rechecks)
--   Healthy:     Ready=True for the observed generation
local hs = {}
if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to write a status"
  return hs
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= generation then
  hs.status = "Progressing"
  hs.message = "Waiting for the operator to observe generation " .. tostring(generation)
  return hs
end
local ready, reconciling, stalled
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    elseif c.type == "Reconciling" and c.status == "True" then
      reconciling = c
    elseif c.type == "Stalled" and c.status == "True" then
      stalled = c
    end
  end
end
local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end
if stalled ~= nil then
  hs.status = "Degraded"
  hs.message = describe(stalled)
  return hs
end
if obj.status.phase == "Failed" then
  hs.status = "Degraded"
  if reconciling ~= nil then
    hs.message = describe(reconciling)
  elseif ready ~= nil then
    hs.message = describe(ready)
  else
    hs.message = "Failed"
  end
  return hs
end
if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message
  return hs
end
hs.status = "Progressing"
if reconciling ~= nil then
  hs.message = describe(reconciling)
elseif ready ~= nil then
  hs.message = describe(ready)
else
  hs.message = "Waiting for the operator"
end
return hs
