// The request option for a JSON merge patch. The stack and the tests change objects that controllers
// write too (MCM's finalizers, status); a merge patch carries no resourceVersion, so it cannot
// conflict with those writes the way read-modify-replace does.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
