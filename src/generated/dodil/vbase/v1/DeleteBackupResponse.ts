// Original file: proto/dodil/vbase/v1/vbase.proto

import type { Backup as _dodil_vbase_v1_Backup, Backup__Output as _dodil_vbase_v1_Backup__Output } from '../../../dodil/vbase/v1/Backup.js';

/**
 * The result of deleting a backup.
 */
export interface DeleteBackupResponse {
  /**
   * The backup as it was when it was deleted.
   */
  'backup'?: (_dodil_vbase_v1_Backup | null);
}

/**
 * The result of deleting a backup.
 */
export interface DeleteBackupResponse__Output {
  /**
   * The backup as it was when it was deleted.
   */
  'backup': (_dodil_vbase_v1_Backup__Output | null);
}
