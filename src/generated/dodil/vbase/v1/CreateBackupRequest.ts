// Original file: proto/dodil/vbase/v1/vbase.proto


/**
 * Request to trigger a backup job.
 */
export interface CreateBackupRequest {
  /**
   * Service to back up.
   */
  'service_id'?: (string);
  /**
   * Organization UUID for ownership validation.
   */
  'organization_id'?: (string);
  /**
   * Database name in the tenant endpoint.
   */
  'db_name'?: (string);
  /**
   * One or more collections to back up.
   */
  'collection_names'?: (string)[];
  /**
   * User-defined backup label, unique within the service; generated when omitted.
   */
  'backup_name'?: (string);
  '_backup_name'?: "backup_name";
}

/**
 * Request to trigger a backup job.
 */
export interface CreateBackupRequest__Output {
  /**
   * Service to back up.
   */
  'service_id': (string);
  /**
   * Organization UUID for ownership validation.
   */
  'organization_id': (string);
  /**
   * Database name in the tenant endpoint.
   */
  'db_name': (string);
  /**
   * One or more collections to back up.
   */
  'collection_names': (string)[];
  /**
   * User-defined backup label, unique within the service; generated when omitted.
   */
  'backup_name'?: (string);
}
