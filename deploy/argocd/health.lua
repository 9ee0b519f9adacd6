-- Argo CD custom health check for linuximage.dev/LinuxImage (argocd-cm key
-- resource.customizations.health.linuximage.dev_LinuxImage; README "GitOps health").
-- Without it Argo CD shows a LinuxImage as Healthy as soon as it exists, even when its image failed.
--   Progressing: no status yet, a spec generation the operator has not observed, or Reconciling=True
--                (the Job waits or runs, a refusal is rechecked by the operator)
--   Degraded:    Stalled=True (a failure a retry cannot fix), or phase Failed (the user must act, e.g. apply the
--                missing claim, even if the operator rechecks)
--   Healthy:     Ready=True for the observed generation
local function result(status, message)
  return { status = status, message = message }
end
local function describe(c)
  if c.message ~= nil and c.message ~= "" then
    return c.reason .. ": " .. c.message
  end
  return c.reason
end
if obj.status == nil then
  return result("Progressing", "Waiting for the operator to write a status")
end
local generation = obj.metadata.generation
if generation ~= nil and obj.status.observedGeneration ~= generation then
  return result("Progressing", "Waiting for the operator to observe generation " .. tostring(generation))
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
-- the most specific condition that says why the image is not (yet) Ready
local function why(fallback)
  if reconciling ~= nil then
    return describe(reconciling)
  elseif ready ~= nil then
    return describe(ready)
  end
  return fallback
end
if stalled ~= nil then
  return result("Degraded", describe(stalled))
end
if obj.status.phase == "Failed" then
  return result("Degraded", why("Failed"))
end
if ready ~= nil and ready.status == "True" then
  return result("Healthy", ready.message)
end
return result("Progressing", why("Waiting for the operator"))
