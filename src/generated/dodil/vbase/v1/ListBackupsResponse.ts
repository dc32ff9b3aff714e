// Original file: proto/dodil/vbase/v1/vbase.proto

import type { Backup as _dodil_vbase_v1_Backup, Backup__Output as _dodil_vbase_v1_Backup__Output } from '../../../dodil/vbase/v1/Backup.js';

/**
 * The backups of one service.
 */
export interface ListBackupsResponse {
  /**
   * The service's backup jobs, in no particular order.
   */
  'backups'?: (_dodil_vbase_v1_Backup)[];
}

/**
 * The backups of one service.
 */
export interface ListBackupsResponse__Output {
  /**
   * The service's backup jobs, in no particular order.
   */
  'backups': (_dodil_vbase_v1_Backup__Output)[];
}
