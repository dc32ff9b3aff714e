// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to trigger a restore job.
 */
export interface RestoreBackupRequest {
  /**
   * Target service for the restore.
   */
  'service_id'?: (string);
  /**
   * Tenant organization UUID.
   */
  'organization_id'?: (string);
  /**
   * Name of the existing backup artifact to restore from.
   */
  'backup_name'?: (string);
  /**
   * Target database name.
   */
  'db_name'?: (string);
  /**
   * Collections to restore; each must be in the backup.
   */
  'collection_names'?: (string)[];
}

/**
 * Request to trigger a restore job.
 */
export interface RestoreBackupRequest__Output {
  /**
   * Target service for the restore.
   */
  'service_id': (string);
  /**
   * Tenant organization UUID.
   */
  'organization_id': (string);
  /**
   * Name of the existing backup artifact to restore from.
   */
  'backup_name': (string);
  /**
   * Target database name.
   */
  'db_name': (string);
  /**
   * Collections to restore; each must be in the backup.
   */
  'collection_names': (string)[];
}
